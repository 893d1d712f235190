package authenticator

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
)

// recentEvents is how many events GetUser returns.
const recentEvents = 50

// ListUsers pages through users in ExternalID order.
func (s *Service) ListUsers(ctx context.Context, q UserQuery) ([]User, error) {
	if q.Limit < 0 || q.Limit > MaxPageSize {
		return nil, UserError(CodeInvalidArgument, fmt.Sprintf("limit must be between 1 and %d", MaxPageSize), nil)
	}
	if q.After != "" {
		if err := ValidateExternalUserID(q.After); err != nil {
			return nil, err
		}
	}
	users, err := s.store.ListUsers(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// GetUser returns one user with credentials and recent events, and audits
// the read (DESIGN.md §7.7) with actor AuditActorUnattributed: the Admin
// contract's GetUser carries no operator, so the read is recorded without
// one until the wire passes the operator's sub to ReadUser (ADR 0008). It
// never returns biometric data: there is none in the durable store
// (DESIGN.md §7.6).
func (s *Service) GetUser(ctx context.Context, externalID string) (UserDetail, error) {
	return s.readUser(ctx, externalID, AuditActorUnattributed)
}

// ReadUserRequest is an operator's read of one user's record.
type ReadUserRequest struct {
	ExternalID string
	Operator   string // the operator's sub, for the audit record (DESIGN.md §7.7)
}

// ReadUser is GetUser with the operator who reads, recorded as the audit
// record's actor. The user's record is returned only once the audit record
// is stored: a read that cannot be audited fails.
func (s *Service) ReadUser(ctx context.Context, req ReadUserRequest) (UserDetail, error) {
	if err := validateOperator(req.Operator); err != nil {
		return UserDetail{}, err
	}
	return s.readUser(ctx, req.ExternalID, req.Operator)
}

// readUser reads the user and audits the read as actor.
func (s *Service) readUser(ctx context.Context, externalID, actor string) (UserDetail, error) {
	if err := ValidateExternalUserID(externalID); err != nil {
		return UserDetail{}, err
	}
	u, err := s.store.GetUser(ctx, externalID)
	if err != nil {
		return UserDetail{}, fmt.Errorf("get user: %w", err)
	}
	creds, err := s.store.ListCredentials(ctx, externalID)
	if err != nil {
		return UserDetail{}, fmt.Errorf("get user credentials: %w", err)
	}
	events, err := s.store.ListEvents(ctx, externalID, recentEvents)
	if err != nil {
		return UserDetail{}, fmt.Errorf("get user events: %w", err)
	}
	if err := s.audit(ctx, s.store, AuditRecord{Actor: actor, Action: AuditUserRead, Target: externalID}); err != nil {
		return UserDetail{}, fmt.Errorf("get user: %w", err)
	}
	return UserDetail{User: u, Credentials: creds, Events: events}, nil
}

// validateOperator checks an operator's sub as RevokeCredential does.
func validateOperator(op string) error {
	if strings.TrimSpace(op) == "" || len(op) > 256 || !auditText(op) {
		return UserError(CodeInvalidArgument, "operator is required", nil)
	}
	return nil
}

// RevokeCredential revokes a passkey on an operator's behalf. Later sign-ins
// with it fail, and sessions it opened are no longer reported by skipped
// logins (DESIGN.md §7.4). Revoking a revoked credential changes nothing.
func (s *Service) RevokeCredential(ctx context.Context, req RevokeCredentialRequest) (Credential, error) {
	switch {
	case len(req.CredentialID) == 0 || len(req.CredentialID) > 1023: // WebAuthn §4: credential ids are at most 1023 bytes
		return Credential{}, UserError(CodeInvalidArgument, "credential_id is missing or malformed", nil)
	case validateOperator(req.Operator) != nil:
		return Credential{}, validateOperator(req.Operator)
	case len(req.Reason) > 512 || !auditText(req.Reason):
		return Credential{}, UserError(CodeInvalidArgument, "reason must be at most 512 characters of text", nil)
	}
	var c Credential
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var (
			changed bool
			err     error
		)
		if c, changed, err = s.revoke(ctx, tx, req.CredentialID, req.Reason, req.Operator, nil); err != nil {
			return err
		}
		// The action and its audit record land together or not at all. A
		// revoke of a revoked credential is audited too: the operator acted.
		result := "revoked"
		if !changed {
			result = "already_revoked"
		}
		return s.audit(ctx, tx, AuditRecord{Actor: req.Operator, Action: AuditCredentialRevoke,
			Target: base64.RawURLEncoding.EncodeToString(c.ID),
			Detail: map[string]string{"user": c.UserExternalID, "reason": req.Reason, "result": result}})
	})
	if err != nil {
		return Credential{}, fmt.Errorf("revoke credential: %w", err)
	}
	s.log.InfoContext(ctx, "credential revoked", "user", c.UserExternalID, "operator", req.Operator)
	return c, nil
}

// revoke revokes one credential inside tx with its credential.revoked event,
// so an operator's revoke and a recovery's replacement record the same
// thing. A credential already revoked is left alone and reported unchanged.
// detail is added to the event's; actor is who caused it (an operator's sub,
// or "user").
func (s *Service) revoke(ctx context.Context, tx Tx, id []byte, reason, actor string, detail map[string]string) (Credential, bool, error) {
	var changed bool
	c, err := tx.UpdateCredential(ctx, id, func(old Credential) (Credential, error) {
		if changed = old.Status != CredentialRevoked; !changed {
			return old, nil
		}
		old.Status, old.StatusReason = CredentialRevoked, reason
		return old, nil
	})
	if err != nil || !changed {
		return c, false, err
	}
	d := map[string]string{"reason": reason}
	maps.Copy(d, detail)
	if err := s.event(ctx, tx, Event{Type: EventCredentialRevoked, UserExternalID: c.UserExternalID, CredentialID: c.ID,
		Actor: actor, Detail: d}); err != nil {
		return Credential{}, false, err
	}
	return c, true, nil
}
