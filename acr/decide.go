package acr

import (
	"fmt"
	"slices"
	"time"
)

// OAuth error codes a Decision can carry. unmet_authentication_requirements is
// from OpenID Connect Unmet Authentication Requirements 1.0 §2 (and RFC 9470 §4).
const (
	ErrorUnmetRequirements = "unmet_authentication_requirements"
	ErrorLoginRequired     = "login_required"
	ErrorInvalidRequest    = "invalid_request"
)

// Action is what the identity server's login step must do next.
type Action string

// Actions.
const (
	// ActionAuthenticate: run a passkey ceremony aiming for Decision.Target.
	ActionAuthenticate Action = "authenticate"
	// ActionAccept: the existing session already meets the request; accept the
	// login with Decision.Outcome (what that session really achieved).
	ActionAccept Action = "accept"
	// ActionReauthenticate: the existing session does not meet the request;
	// restart the authorization with prompt=login so the user signs in again
	// and auth_time is fresh.
	ActionReauthenticate Action = "reauthenticate"
	// ActionReject: refuse the login with Decision.Error.
	ActionReject Action = "reject"
)

// Session is what an earlier login of the same identity-server session
// achieved, recorded when that login finished.
type Session struct {
	Subject  string    `json:"sub"`
	ACR      string    `json:"acr"`
	AMR      []string  `json:"amr"`
	AuthTime time.Time `json:"auth_time"`
}

// Decision is the verdict on a login request before any ceremony runs.
type Decision struct {
	Action      Action
	Target      Level   // ActionAuthenticate: the level the ceremony must reach
	Minimum     Level   // the lowest level the request accepts
	Outcome     Outcome // ActionAccept: what the session achieved
	Error       string  // ActionReject: an OAuth error code
	Description string  // ActionReject: a message for the relying party
}

// Login describes one login request as the identity server presents it.
type Login struct {
	Request Request
	// Skip is true when the identity server already has an authenticated
	// session for this browser (Hydra's skip=true).
	Skip bool
	// Subject is the session's subject when Skip is true.
	Subject string
	// Recorded is what this session achieved, or nil if nothing is recorded.
	Recorded *Session
	// Reachable reports whether this deployment can reach a level at all (for
	// example, a biometric level needs an identity-verification provider).
	// nil means every level is reachable.
	Reachable func(Level) bool
}

// Decide evaluates a login request. It never raises the level a session has:
// a skipped login is accepted only with what that session recorded, and only
// when that meets the request; otherwise the user signs in again.
func (l *Ladder) Decide(lg Login, now time.Time) Decision {
	min, target, d, ok := l.wanted(lg)
	if !ok {
		return d
	}
	if !lg.Skip {
		return Decision{Action: ActionAuthenticate, Target: target, Minimum: min}
	}
	fresh := func(why string) Decision {
		if lg.Request.PromptIs("none") {
			return reject(ErrorLoginRequired, why+"; prompt=none forbids signing in again")
		}
		return Decision{Action: ActionReauthenticate, Target: target, Minimum: min}
	}
	rec := lg.Recorded
	switch {
	case rec == nil:
		return fresh("the session's level is unknown")
	case rec.Subject != lg.Subject:
		return fresh("the session belongs to another subject")
	case !l.Satisfies(rec.ACR, min.ACR):
		return fresh("the session's level is below the request")
	case lg.Request.HasMaxAge && now.Sub(rec.AuthTime) > lg.Request.MaxAge:
		return fresh("the session is older than max_age")
	case len(lg.Request.AuthorizationDetails) > 0:
		// A session approved nothing: authorization_details must be shown
		// and signed over in this login (dynamic linking, ADR 0005).
		return fresh("the request asks to approve authorization_details")
	}
	return Decision{Action: ActionAccept, Minimum: min, Outcome: Outcome{ACR: rec.ACR, AMR: slices.Clone(rec.AMR)}}
}

// wanted works out the lowest acceptable level and the level to aim for. The
// target is the first requested value (preference order) that is reachable;
// the minimum is the lowest requested value. With no acr_values the lowest
// level is both.
func (l *Ladder) wanted(lg Login) (min, target Level, d Decision, ok bool) {
	reachable := func(lv Level) bool { return lg.Reachable == nil || lg.Reachable(lv) }
	if len(lg.Request.ACRValues) == 0 {
		lv := l.Lowest()
		if !reachable(lv) {
			return Level{}, Level{}, reject(ErrorUnmetRequirements, "no assurance level is available"), false
		}
		return lv, lv, Decision{}, true
	}
	minRank, found := len(l.levels), false
	for _, v := range lg.Request.ACRValues {
		lv, known := l.Lookup(v)
		if !known {
			return Level{}, Level{}, reject(ErrorUnmetRequirements, fmt.Sprintf("acr value %q is not supported by this provider", v)), false
		}
		if r := l.rank[v]; r < minRank {
			minRank = r
		}
		if !found && reachable(lv) {
			target, found = lv, true
		}
	}
	if !found {
		return Level{}, Level{}, reject(ErrorUnmetRequirements, "none of the requested acr values can be reached"), false
	}
	return l.levels[minRank], target, Decision{}, true
}

// Check verifies, after a ceremony, that what was achieved meets the
// request's minimum. A shortfall is an unmet requirement, never a downgrade.
func (l *Ladder) Check(achieved Outcome, minimum Level) error {
	if !l.Satisfies(achieved.ACR, minimum.ACR) {
		return fmt.Errorf("achieved %q, request needs at least %q", achieved.ACR, minimum.ACR)
	}
	return nil
}

func reject(code, desc string) Decision {
	return Decision{Action: ActionReject, Error: code, Description: desc}
}
