package onfido

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// mapping is what one Onfido workflow run status means.
type mapping struct {
	status idvbridge.Status
	reason idvbridge.Reason
	// awaiting: the run waits for the user (or for us); past the link's
	// expiry it is reported failed/expired.
	awaiting bool
}

// statuses maps every documented workflow run status. Anything else is
// failed/error, and logged: nothing unknown ever maps to passed.
//
// Specification: workflow_run_status (onfido-openapi-spec
// schemas/workflow_runs/definitions.yaml): processing, awaiting_input,
// awaiting_client_input, approved, declined, review, abandoned, error.
var statuses = map[string]mapping{
	"approved":              {idvbridge.StatusPassed, idvbridge.ReasonNone, false},
	"declined":              {idvbridge.StatusFailed, idvbridge.ReasonDeclined, false},
	"review":                {idvbridge.StatusFailed, idvbridge.ReasonReview, false},
	"abandoned":             {idvbridge.StatusFailed, idvbridge.ReasonAbandoned, false},
	"error":                 {idvbridge.StatusFailed, idvbridge.ReasonError, false},
	"processing":            {idvbridge.StatusPending, idvbridge.ReasonNone, false},
	"awaiting_input":        {idvbridge.StatusPending, idvbridge.ReasonNone, true},
	"awaiting_client_input": {idvbridge.StatusPending, idvbridge.ReasonNone, true},
}

// kind is what a configured workflow does.
type kind int

const (
	kindNone       kind = iota
	kindEnrollment      // stores a biometric token
	kindMatch           // matches a capture against the user's tokens (step-up, recovery)
)

func (p *Provider) kindOf(workflowID string) kind {
	switch {
	case workflowID == "":
		return kindNone
	case strings.EqualFold(workflowID, p.cfg.Workflows.Enrollment):
		return kindEnrollment
	case strings.EqualFold(workflowID, p.cfg.Workflows.StepUp), strings.EqualFold(workflowID, p.cfg.Workflows.Recovery):
		return kindMatch
	}
	return kindNone
}

// runTags is what the adapter's tags on a run say.
type runTags struct {
	journey, ceremony, reference string
	conflict                     bool // a tag of ours appears twice with different values
}

func parseTags(tags []string) runTags {
	var t runTags
	set := func(dst *string, v string) {
		if *dst != "" && *dst != v {
			t.conflict = true
		}
		*dst = v
	}
	for _, tag := range tags {
		switch {
		case strings.HasPrefix(tag, tagJourney):
			set(&t.journey, strings.TrimPrefix(tag, tagJourney))
		case strings.HasPrefix(tag, tagCeremony):
			set(&t.ceremony, strings.TrimPrefix(tag, tagCeremony))
		case strings.HasPrefix(tag, tagReference):
			set(&t.reference, strings.TrimPrefix(tag, tagReference))
		}
	}
	return t
}

// journeyFits reports whether a run's journey tag agrees with its workflow.
func (p *Provider) journeyFits(journey, workflowID string) bool {
	switch idvbridge.Journey(journey) {
	case idvbridge.JourneyEnrollment:
		return strings.EqualFold(workflowID, p.cfg.Workflows.Enrollment)
	case idvbridge.JourneyStepUp:
		return strings.EqualFold(workflowID, p.cfg.Workflows.StepUp)
	case idvbridge.JourneyRecovery:
		return strings.EqualFold(workflowID, p.cfg.Workflows.Recovery)
	}
	return false
}

// outcome maps a workflow run to an Outcome. Fetch and ParseWebhook both
// end here, so they agree. The journey comes from the run's workflow id,
// never from anything the user could influence; a run of a workflow that
// is not configured is ErrNotFound (not ours).
func (p *Provider) outcome(ctx context.Context, run workflowRun) (idvbridge.Outcome, error) {
	k := p.kindOf(run.WorkflowID)
	if k == kindNone {
		p.log.WarnContext(ctx, "onfido: run of a workflow that is not configured", "run_id", run.ID, "workflow_id", run.WorkflowID)
		return idvbridge.Outcome{}, fmt.Errorf("onfido: run %s: %w: workflow %q is not configured", run.ID, idvbridge.ErrNotFound, run.WorkflowID)
	}
	tags := parseTags(run.Tags)
	o := idvbridge.Outcome{
		Provider:   Name,
		RunID:      run.ID,
		UserID:     run.CustomerUserID,
		CeremonyID: tags.ceremony,
	}
	if k == kindMatch {
		o.Reference = matchedReference(run, tags)
	}
	completedAt := parseTime(run.UpdatedAt)
	if completedAt.IsZero() {
		completedAt = parseTime(run.CreatedAt)
	}
	failed := func(reason idvbridge.Reason, at time.Time) (idvbridge.Outcome, error) {
		o.Status, o.Reason, o.CompletedAt = idvbridge.StatusFailed, reason, at
		return o, nil
	}

	if tags.conflict || (tags.journey != "" && !p.journeyFits(tags.journey, run.WorkflowID)) || o.UserID == "" {
		p.log.ErrorContext(ctx, "onfido: run's tags or customer user id do not fit its workflow; reported as an error",
			"run_id", run.ID, "workflow_id", run.WorkflowID, "journey_tag", tags.journey, "status", run.Status)
		return failed(idvbridge.ReasonError, completedAt)
	}

	m, known := statuses[run.Status]
	if !known {
		p.log.WarnContext(ctx, "onfido: unknown workflow run status; reported as an error", "run_id", run.ID, "status", run.Status)
		return failed(idvbridge.ReasonError, completedAt)
	}

	switch {
	case m.status == idvbridge.StatusPassed && k == kindEnrollment:
		ref, err := p.enrolledReference(ctx, run)
		if err != nil {
			return idvbridge.Outcome{}, err
		}
		if ref == nil {
			if p.cfg.Now().Before(completedAt.Add(referenceWait)) {
				o.Status = idvbridge.StatusPending
				return o, nil
			}
			p.log.ErrorContext(ctx, "onfido: enrollment approved but no biometric token was stored; check the enrollment workflow",
				"run_id", run.ID, "waited", referenceWait)
			return failed(idvbridge.ReasonError, completedAt)
		}
		o.Reference = ref
	case m.status == idvbridge.StatusPassed && o.Reference == nil:
		p.log.ErrorContext(ctx, "onfido: approved match without a reference tag; reported as an error", "run_id", run.ID)
		return failed(idvbridge.ReasonError, completedAt)
	case m.awaiting:
		if deadline := p.deadline(run); !deadline.IsZero() && !p.cfg.Now().Before(deadline) {
			return failed(idvbridge.ReasonExpired, deadline)
		}
	}
	o.Status, o.Reason = m.status, m.reason
	if o.Status != idvbridge.StatusPending {
		o.CompletedAt = completedAt
	}
	return o, nil
}

// deadline is when a run awaiting input expires: its link's expires_at
// (Start always sets one), or, for a run without it, created_at + LinkTTL.
func (p *Provider) deadline(run workflowRun) time.Time {
	if run.Link != nil {
		if t := parseTime(run.Link.ExpiresAt); !t.IsZero() {
			return t
		}
	}
	if t := parseTime(run.CreatedAt); !t.IsZero() {
		return t.Add(p.cfg.LinkTTL)
	}
	return time.Time{}
}

// matchedReference rebuilds the reference a step-up or recovery run was
// started with from its applicant, customer user id and reference tag.
func matchedReference(run workflowRun, tags runTags) *idvbridge.Reference {
	if !isUUID(run.ApplicantID) || !isUUID(tags.reference) || run.CustomerUserID == "" || len(run.CustomerUserID) > 256 {
		return nil
	}
	return reference{applicantID: run.ApplicantID, tokenUUID: tags.reference, userID: run.CustomerUserID}.ref()
}

// enrolledReference finds the biometric token an approved enrollment run
// stored: the newest approved token of the run's customer user id inserted
// since the run was created. The API links tokens to the customer user id,
// not to the run; two enrollments of one user at once could pick the same
// token, which is harmless (either is that user's face). Nil when none is
// there yet.
//
// Specification: GET /biometric_tokens/{user_id} (onfido-openapi-spec
// paths/biometric_tokens.yaml); user_id is the run's customer_user_id.
func (p *Provider) enrolledReference(ctx context.Context, run workflowRun) (*idvbridge.Reference, error) {
	if !isUUID(run.ApplicantID) {
		return nil, nil
	}
	var list biometricTokenList
	err := p.do(ctx, request{
		method: http.MethodGet,
		path:   "/biometric_tokens/" + url.PathEscape(run.CustomerUserID),
		route:  "/biometric_tokens/{user_id}",
	}, &list)
	if errors.Is(err, idvbridge.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	since := parseTime(run.CreatedAt).Truncate(time.Second)
	var best *biometricToken
	var bestAt time.Time
	for i := range list.BiometricTokens {
		tok := &list.BiometricTokens[i]
		at := parseTime(tok.Data.InsertedAt)
		if tok.Data.Status != "approved" || !isUUID(tok.UUID) || at.Before(since) {
			continue
		}
		if best == nil || at.After(bestAt) || (at.Equal(bestAt) && tok.UUID > best.UUID) {
			best, bestAt = tok, at
		}
	}
	if best == nil {
		return nil, nil
	}
	return reference{applicantID: run.ApplicantID, tokenUUID: best.UUID, userID: run.CustomerUserID}.ref(), nil
}
