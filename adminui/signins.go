package adminui

import (
	"bytes"
	"encoding/base64"
	"slices"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Limits of the "Recent sign-ins" table.
const (
	signInRows = 20 // rows the user page shows at most

	// stepUpPairWindow is how far apart a step_up.passed and the
	// authentication.succeeded of the same step-up may be: the login is
	// accepted right after the check passes, so a minute is generous
	// while two separate sign-ins of the same client are rarely closer.
	stepUpPairWindow = time.Minute
)

// Journeys of a sign-in row.
const (
	journeyRoutine    = "routine sign-in"
	journeyStepUp     = "step-up"
	journeyRecovery   = "recovery"
	journeyEnrollment = "enrollment check"
)

// signInView is one row of the user page's "Recent sign-ins" table: one
// authentication session, derived from one or more lifecycle events.
type signInView struct {
	At        time.Time
	Journey   string // journeyRoutine, journeyStepUp, …
	Level     string // the acr's short name ("routine", "step-up"); empty when no level was reached
	ACR       string // the full acr URN, for the title attribute
	Client    string // the OAuth client; empty when the events do not say
	Succeeded bool
	Reason    string // why it was refused, when it was
	Passkey   string // the credential id, base64url, shortened; empty when none
	PasskeyID string // the full credential id, base64url, for the title attribute
}

// signIns derives the authentication sessions from a user's events (newest
// first, as UserDetail.Events) and returns them newest first, at most
// signInRows. Each event feeds at most one row; events that are not part of
// a sign-in (registrations, operator actions, …) are ignored. The pairing
// rule, which the package documentation repeats:
//
//   - authentication.succeeded with recovery_run_id belongs to that
//     recovery: it is merged into the recovery.completed of the same run_id
//     (the row takes the login's acr), or is a succeeded recovery row on its
//     own when that event is not in the list.
//   - Any other authentication.succeeded is paired with the nearest unpaired
//     step_up.passed with the same client, at most stepUpPairWindow apart
//     and, when both name a passkey, the same passkey: the pair is ONE
//     succeeded step-up row (at the login's time). Unpaired, it is a
//     routine sign-in at the acr it names.
//   - An unpaired step_up.passed is a succeeded step-up row (the check
//     passed; the login is not in the list). step_up.failed is a refused
//     step-up row with its reason and no level reached.
//   - recovery.completed is a succeeded recovery row; recovery.failed a
//     refused one with its reason. recovery.started is never a row of its
//     own (an unfinished recovery is not a session yet); it only lends its
//     client to the failed row of the same run_id, which names none.
//   - idv_check.passed and idv_check.failed of the enrollment journey are
//     enrollment check rows (no client, no level); the checks of step-ups
//     and recoveries are covered by the step_up.* and recovery.* events.
func signIns(events []authenticator.Event) []signInView {
	// Index what other events borrow from.
	started := map[string]authenticator.Event{}       // recovery.started by run_id
	completed := map[string]bool{}                    // run_ids with a recovery.completed
	recoveryLogin := map[string]authenticator.Event{} // authentication.succeeded by recovery_run_id
	for _, e := range events {
		run := e.Detail["run_id"]
		switch e.Type {
		case authenticator.EventRecoveryStarted:
			if _, ok := started[run]; !ok && run != "" {
				started[run] = e
			}
		case authenticator.EventRecoveryCompleted:
			if run != "" {
				completed[run] = true
			}
		case authenticator.EventAuthenticationSuccess:
			if rr := e.Detail["recovery_run_id"]; rr != "" {
				if _, ok := recoveryLogin[rr]; !ok {
					recoveryLogin[rr] = e
				}
			}
		}
	}

	// Pair each plain login with its step-up check, newest login first.
	paired := map[int]int{} // index of authentication.succeeded → index of its step_up.passed
	taken := map[int]bool{} // step_up.passed indexes already paired
	for i, e := range events {
		if e.Type != authenticator.EventAuthenticationSuccess || e.Detail["recovery_run_id"] != "" {
			continue
		}
		best, bestGap := -1, time.Duration(0)
		for j, s := range events {
			if s.Type != authenticator.EventStepUpPassed || taken[j] || s.Detail["client"] != e.Detail["client"] {
				continue
			}
			if len(s.CredentialID) > 0 && len(e.CredentialID) > 0 && !bytes.Equal(s.CredentialID, e.CredentialID) {
				continue
			}
			gap := e.At.Sub(s.At).Abs()
			if gap <= stepUpPairWindow && (best < 0 || gap < bestGap) {
				best, bestGap = j, gap
			}
		}
		if best >= 0 {
			paired[i] = best
			taken[best] = true
		}
	}

	var rows []signInView
	for i, e := range events {
		row := signInView{At: e.At, Client: e.Detail["client"]}
		cred := e.CredentialID
		switch e.Type {
		case authenticator.EventAuthenticationSuccess:
			row.Succeeded = true
			row.ACR = e.Detail["acr"]
			switch rr := e.Detail["recovery_run_id"]; {
			case rr != "" && completed[rr]:
				continue // merged into the recovery.completed row
			case rr != "":
				row.Journey = journeyRecovery
			default:
				row.Journey = journeyRoutine
				if j, ok := paired[i]; ok {
					row.Journey = journeyStepUp
					if row.ACR == "" {
						row.ACR = events[j].Detail["acr"]
					}
					if len(cred) == 0 {
						cred = events[j].CredentialID
					}
				}
			}
		case authenticator.EventStepUpPassed:
			if taken[i] {
				continue // merged into its login's row
			}
			row.Journey, row.Succeeded, row.ACR = journeyStepUp, true, e.Detail["acr"]
		case authenticator.EventStepUpFailed:
			row.Journey, row.Reason = journeyStepUp, e.Detail["reason"]
		case authenticator.EventRecoveryCompleted:
			row.Journey, row.Succeeded = journeyRecovery, true
			if login, ok := recoveryLogin[e.Detail["run_id"]]; ok {
				row.ACR = login.Detail["acr"]
				if row.Client == "" {
					row.Client = login.Detail["client"]
				}
			}
		case authenticator.EventRecoveryFailed:
			row.Journey, row.Reason = journeyRecovery, e.Detail["reason"]
			if row.Client == "" {
				row.Client = started[e.Detail["run_id"]].Detail["client"]
			}
		case authenticator.EventIDVCheckPassed, authenticator.EventIDVCheckFailed:
			if e.Detail["journey"] != string(idvbridge.JourneyEnrollment) {
				continue
			}
			row.Journey = journeyEnrollment
			row.Succeeded = e.Type == authenticator.EventIDVCheckPassed
			row.Reason = e.Detail["reason"]
		default:
			continue
		}
		if !row.Succeeded && row.Reason == "" {
			row.Reason = "no reason given"
		}
		row.Level = acrShortName(row.ACR)
		if len(cred) > 0 {
			row.PasskeyID = base64.RawURLEncoding.EncodeToString(cred)
			row.Passkey = shortID(row.PasskeyID)
		}
		rows = append(rows, row)
	}
	// A pair's row sits at its login; keep the table newest first even when
	// a store's clock put the two a little out of order.
	slices.SortStableFunc(rows, func(a, b signInView) int { return b.At.Compare(a.At) })
	if len(rows) > signInRows {
		rows = rows[:signInRows]
	}
	return rows
}

// acrShortName names the levels of this service's ladder; any other acr
// is shown as it is.
func acrShortName(v string) string {
	switch v {
	case acr.RoutineACR:
		return "routine"
	case acr.StepUpACR:
		return "step-up"
	}
	return v
}

// shortID shortens a base64url credential id for a table cell.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:10] + "…"
	}
	return id
}
