package authenticator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Operator actions the host performs itself, which the service cannot see,
// and records with RecordOperatorAction.
const (
	// AuditSessionsRevoke: the host revoked the user's login and consent
	// sessions at the identity server. Detail "result" is "revoked" or
	// "failed", "error" what went wrong.
	AuditSessionsRevoke = "sessions.revoke"
	// AuditExport: an operator exported the audit log. It names no user;
	// detail such as "format".
	AuditExport = "audit.export"
	// AuditAccessRefused: a signed-in operator's request was refused.
	// Detail "attempted" is the action tried, "why" is "role" or "csrf".
	AuditAccessRefused = "access.refused"
)

// EventSessionsRevoked is the event of a user whose sessions at the
// identity server an operator revoked (AuditSessionsRevoke with result
// revoked).
const EventSessionsRevoked EventType = "sessions.revoked"

// Values of the operator actions' detail.
const (
	SessionsRevoked      = "revoked" // AuditSessionsRevoke's "result": the sessions are gone
	SessionsRevokeFailed = "failed"  // AuditSessionsRevoke's "result": the identity server did not revoke them
	RefusedRole          = "role"    // AuditAccessRefused's "why": the operator's role does not allow the action
	RefusedCSRF          = "csrf"    // AuditAccessRefused's "why": the request failed the CSRF check
)

// OperatorActionRequest is an operator action the host performed itself,
// to be audited: RecordOperatorAction.
type OperatorActionRequest struct {
	Operator   string            // the operator's sub (DESIGN.md §7.7)
	Action     string            // AuditSessionsRevoke, AuditExport or AuditAccessRefused
	ExternalID string            // the user acted on: required by sessions.revoke, optional for access.refused, none for audit.export
	Reason     string            // optional, at most 512 bytes; recorded as the detail "reason"
	Detail     map[string]string // at most 15 entries: keys 1 to 64 of a-z 0-9 _ (not "reason"), values at most 1024 bytes of text
}

// operatorActions says, for each action RecordOperatorAction accepts,
// whether it names a user (required, optional, or never) and which values
// its detail keys may take (any value for a key not listed).
var operatorActions = map[string]struct {
	user   userNeed
	values map[string][]string
}{
	AuditSessionsRevoke: {user: userRequired, values: map[string][]string{"result": {SessionsRevoked, SessionsRevokeFailed}}},
	AuditExport:         {user: userNone},
	AuditAccessRefused:  {user: userOptional, values: map[string][]string{"why": {RefusedRole, RefusedCSRF}}},
}

// userNeed is whether an operator action names a user.
type userNeed int

const (
	userNone userNeed = iota
	userOptional
	userRequired
)

// validate checks the request, and returns the action's user need.
func (r OperatorActionRequest) validate() (userNeed, error) {
	if err := validateOperator(r.Operator); err != nil {
		return 0, err
	}
	spec, ok := operatorActions[r.Action]
	if !ok {
		return 0, UserError(CodeInvalidArgument, fmt.Sprintf("action %q is not one the host records: %s, %s or %s",
			r.Action, AuditSessionsRevoke, AuditExport, AuditAccessRefused), nil)
	}
	switch {
	case r.ExternalID == "" && spec.user == userRequired:
		return 0, UserError(CodeInvalidArgument, fmt.Sprintf("%s needs the user acted on", r.Action), nil)
	case r.ExternalID != "" && spec.user == userNone:
		return 0, UserError(CodeInvalidArgument, fmt.Sprintf("%s names no user", r.Action), nil)
	case r.ExternalID != "":
		if err := ValidateExternalUserID(r.ExternalID); err != nil {
			return 0, err
		}
	}
	if err := validateReason(r.Reason); err != nil {
		return 0, err
	}
	if len(r.Detail) > maxAuditDetail-1 {
		return 0, UserError(CodeInvalidArgument, fmt.Sprintf("detail must have at most %d entries", maxAuditDetail-1), nil)
	}
	for k, v := range r.Detail {
		if k == "" || len(k) > maxAuditDetailKey || !auditName(k, false) || k == "reason" {
			return 0, UserError(CodeInvalidArgument,
				fmt.Sprintf("detail key %q must be 1 to %d of a-z 0-9 _, and not reason", k, maxAuditDetailKey), nil)
		}
		if len(v) > maxAuditDetailValue || !auditText(v) {
			return 0, UserError(CodeInvalidArgument, fmt.Sprintf("detail %q must be at most %d bytes of text", k, maxAuditDetailValue), nil)
		}
		if allowed, ok := spec.values[k]; ok && !slices.Contains(allowed, v) {
			return 0, UserError(CodeInvalidArgument, fmt.Sprintf("detail %q of %s must be one of %q", k, r.Action, allowed), nil)
		}
	}
	return spec.user, nil
}

// RecordOperatorAction audits an operator action the host performed
// itself (DESIGN.md §7.7): the service cannot see it, so the host reports
// it. Actions: AuditSessionsRevoke, AuditExport and AuditAccessRefused;
// anything else is CodeInvalidArgument. A record that names a user has
// the user's AuditSubject as its Target, never the external id; the user
// must exist (CodeNotFound otherwise, and nothing is written). A
// sessions.revoke whose detail "result" is "revoked" changes the user's
// state at the identity server, so the sessions.revoked event is appended
// for the user in the same transaction as the audit record. The detail
// recorded is req.Detail with "reason" when a reason is given. It returns
// the audit record as stored.
func (s *Service) RecordOperatorAction(ctx context.Context, req OperatorActionRequest) (AuditRecord, error) {
	need, err := req.validate()
	if err != nil {
		return AuditRecord{}, err
	}
	detail := maps.Clone(req.Detail)
	if req.Reason != "" {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["reason"] = req.Reason
	}
	var rec AuditRecord
	err = s.store.Atomic(ctx, func(tx Tx) error {
		r := AuditRecord{Actor: req.Operator, Action: req.Action, Detail: detail}
		if need != userNone && req.ExternalID != "" {
			u, err := tx.GetUser(ctx, req.ExternalID)
			if errors.Is(err, ErrNotFound) {
				return UserError(CodeNotFound, "there is no such user", err)
			}
			if err != nil {
				return err
			}
			r.Target = u.AuditSubject
			if req.Action == AuditSessionsRevoke && req.Detail["result"] == SessionsRevoked {
				if err := s.event(ctx, tx, Event{Type: EventSessionsRevoked, UserExternalID: u.ExternalID, Actor: req.Operator,
					Detail: map[string]string{"reason": req.Reason}}); err != nil {
					return err
				}
			}
		}
		var err error
		rec, err = s.appendAudit(ctx, tx, r)
		return err
	})
	if err != nil {
		return AuditRecord{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	s.log.InfoContext(ctx, "operator action", "action", req.Action, "user", req.ExternalID, "operator", req.Operator)
	return rec, nil
}
