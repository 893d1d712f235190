package authenticator

import (
	"context"
	"fmt"
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

// GetUser returns one user with credentials and recent events. It never
// returns biometric data: there is none in the durable store (DESIGN.md §7.6).
func (s *Service) GetUser(ctx context.Context, externalID string) (UserDetail, error) {
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
	return UserDetail{User: u, Credentials: creds, Events: events}, nil
}

// RevokeCredential revokes a passkey on an operator's behalf. Later sign-ins
// with it fail, and sessions it opened are no longer reported by skipped
// logins (DESIGN.md §7.4). Revoking a revoked credential changes nothing.
func (s *Service) RevokeCredential(ctx context.Context, req RevokeCredentialRequest) (Credential, error) {
	switch {
	case len(req.CredentialID) == 0 || len(req.CredentialID) > 1023: // WebAuthn §4: credential ids are at most 1023 bytes
		return Credential{}, UserError(CodeInvalidArgument, "credential_id is missing or malformed", nil)
	case strings.TrimSpace(req.Operator) == "" || len(req.Operator) > 256:
		return Credential{}, UserError(CodeInvalidArgument, "operator is required", nil)
	case len(req.Reason) > 512:
		return Credential{}, UserError(CodeInvalidArgument, "reason must be at most 512 characters", nil)
	}
	var c Credential
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var changed bool
		var err error
		c, err = tx.UpdateCredential(ctx, req.CredentialID, func(old Credential) (Credential, error) {
			if changed = old.Status != CredentialRevoked; !changed {
				return old, nil
			}
			old.Status, old.StatusReason = CredentialRevoked, req.Reason
			return old, nil
		})
		if err != nil || !changed {
			return err
		}
		return s.event(ctx, tx, Event{Type: EventCredentialRevoked, UserExternalID: c.UserExternalID, CredentialID: c.ID,
			Actor: req.Operator, Detail: map[string]string{"reason": req.Reason}})
	})
	if err != nil {
		return Credential{}, fmt.Errorf("revoke credential: %w", err)
	}
	s.log.InfoContext(ctx, "credential revoked", "user", c.UserExternalID, "operator", req.Operator)
	return c, nil
}
