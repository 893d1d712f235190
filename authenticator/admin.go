package authenticator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
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

// CountUsersByStatus counts the users in each status, in one store query,
// for the dashboard overview. A status no user is in is absent from the
// map.
func (s *Service) CountUsersByStatus(ctx context.Context) (map[UserStatus]int, error) {
	counts, err := s.store.CountUsersByStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("count users by status: %w", err)
	}
	return counts, nil
}

// GetUser returns one user with credentials and recent events, and audits
// the read (DESIGN.md §7.7) with actor AuditActorUnattributed: GetUser
// carries no operator, so the read is recorded without one. It is kept for
// hosts built before ReadUser, which new callers use (ADR 0008). It never
// returns biometric data: there is none in the durable store (DESIGN.md
// §7.6).
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
	if err := s.audit(ctx, s.store, AuditRecord{Actor: actor, Action: AuditUserRead, Target: u.AuditSubject}); err != nil {
		return UserDetail{}, fmt.Errorf("get user: %w", err)
	}
	return UserDetail{User: u, Credentials: creds, Events: events}, nil
}

// auditSubject returns the AuditSubject of the user externalID: how audit
// records name a user (ADR 0010).
func auditSubject(ctx context.Context, tx Tx, externalID string) (string, error) {
	u, err := tx.GetUser(ctx, externalID)
	if err != nil {
		return "", fmt.Errorf("audit subject of user %s: %w", externalID, err)
	}
	return u.AuditSubject, nil
}

// validateOperator checks an operator's sub: not blank, at most 256 bytes
// of valid UTF-8 without NUL (what an audit record's actor may be).
func validateOperator(op string) error {
	if strings.TrimSpace(op) == "" || len(op) > 256 || !auditText(op) {
		return UserError(CodeInvalidArgument, "operator is required: the operator's sub, 1 to 256 bytes of text", nil)
	}
	return nil
}

// RevokeCredential revokes a passkey on an operator's behalf. Later sign-ins
// with it fail, and sessions it opened are no longer reported by skipped
// logins (DESIGN.md §7.4). Revoking a revoked credential changes nothing.
func (s *Service) RevokeCredential(ctx context.Context, req RevokeCredentialRequest) (Credential, error) {
	if err := CredentialActionRequest(req).validate(); err != nil {
		return Credential{}, err
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
		subject, err := auditSubject(ctx, tx, c.UserExternalID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, AuditRecord{Actor: req.Operator, Action: AuditCredentialRevoke,
			Target: base64.RawURLEncoding.EncodeToString(c.ID),
			Detail: map[string]string{"user": subject, "reason": req.Reason, "result": result}})
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

// Limits of an operator's free text.
const (
	maxReason         = 512 // RevokeCredential's, SuspendUser's, … reason
	maxCredentialName = 64  // RenameCredential's name, in characters
)

// validateReason checks an operator's optional reason.
func validateReason(reason string) error {
	if len(reason) > maxReason || !auditText(reason) {
		return UserError(CodeInvalidArgument, fmt.Sprintf("reason must be at most %d characters of text", maxReason), nil)
	}
	return nil
}

// validateCredentialID checks a credential id's length (WebAuthn §4:
// credential ids are at most 1023 bytes).
func validateCredentialID(id []byte) error {
	if len(id) == 0 || len(id) > 1023 {
		return UserError(CodeInvalidArgument, "credential_id is missing or malformed", nil)
	}
	return nil
}

// validateCredentialName checks a passkey's user-visible name: 1 to 64
// characters of printable text, not blank.
func validateCredentialName(name string) error {
	ok := strings.TrimSpace(name) != "" && utf8.ValidString(name) && utf8.RuneCountInString(name) <= maxCredentialName
	for _, r := range name {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		return UserError(CodeInvalidArgument, fmt.Sprintf("name must be 1 to %d printable characters", maxCredentialName), nil)
	}
	return nil
}

// UserActionRequest is an operator's action on one user: SuspendUser,
// UnsuspendUser, RequireReverification.
type UserActionRequest struct {
	ExternalID string
	Reason     string // optional, at most 512 bytes; recorded in the event and the audit record
	Operator   string // the operator's sub, for the audit record (DESIGN.md §7.7)
}

// CredentialActionRequest is an operator's action on one passkey:
// SuspendCredential, UnsuspendCredential.
type CredentialActionRequest struct {
	CredentialID []byte
	Reason       string // optional, at most 512 bytes
	Operator     string
}

// RenameCredentialRequest gives a passkey a user-visible name.
type RenameCredentialRequest struct {
	CredentialID []byte
	Name         string // 1 to 64 printable characters
	Operator     string
}

// Audited operator actions beyond credential.revoke and user.read.
const (
	AuditUserSuspend         = "user.suspend"         // SuspendUser
	AuditUserUnsuspend       = "user.unsuspend"       // UnsuspendUser
	AuditUserReverify        = "user.reverify"        // RequireReverification
	AuditCredentialRename    = "credential.rename"    // RenameCredential
	AuditCredentialSuspend   = "credential.suspend"   // SuspendCredential
	AuditCredentialUnsuspend = "credential.unsuspend" // UnsuspendCredential
)

// detailPreviousStatus is the event detail key of the status before an
// action: on user.suspended, the status UnsuspendUser restores.
const detailPreviousStatus = "previous_status"

// suspendedEventsLookBehind is how many of a user's newest events
// UnsuspendUser searches for the user.suspended event.
const suspendedEventsLookBehind = MaxPageSize

func (r UserActionRequest) validate() error {
	if err := ValidateExternalUserID(r.ExternalID); err != nil {
		return err
	}
	if err := validateOperator(r.Operator); err != nil {
		return err
	}
	return validateReason(r.Reason)
}

func (r CredentialActionRequest) validate() error {
	if err := validateCredentialID(r.CredentialID); err != nil {
		return err
	}
	if err := validateOperator(r.Operator); err != nil {
		return err
	}
	return validateReason(r.Reason)
}

// conflict is the CodeConflict error of an action on a record in the wrong
// state; the message is safe for the operator.
func conflict(what, state, hint string) error {
	return UserError(CodeConflict, fmt.Sprintf("the %s is %s: %s", what, state, hint), nil)
}

// updateUserAudited runs one operator action on a user in one transaction:
// change (which returns the user as it must be stored, or an error that
// aborts), then the lifecycle event and the audit record. Both land with
// the change or nothing does.
func (s *Service) updateUserAudited(ctx context.Context, req UserActionRequest, action string, event EventType,
	change func(tx Tx, old User) (User, map[string]string, error),
) (User, error) {
	if err := req.validate(); err != nil {
		return User{}, err
	}
	var u User
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var detail map[string]string
		var err error
		u, err = tx.UpdateUser(ctx, req.ExternalID, func(old User) (User, error) {
			var next User
			next, detail, err = change(tx, old)
			if err != nil {
				return old, err
			}
			next.UpdatedAt = s.now().UTC()
			return next, nil
		})
		if err != nil {
			return err
		}
		d := map[string]string{"reason": req.Reason}
		maps.Copy(d, detail)
		if err := s.event(ctx, tx, Event{Type: event, UserExternalID: u.ExternalID, Actor: req.Operator, Detail: d}); err != nil {
			return err
		}
		return s.audit(ctx, tx, AuditRecord{Actor: req.Operator, Action: action, Target: u.AuditSubject, Detail: d})
	})
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", action, err)
	}
	s.log.InfoContext(ctx, "operator action", "action", action, "user", u.ExternalID, "operator", req.Operator)
	return u, nil
}

// SuspendUser suspends a user on an operator's behalf: every ceremony,
// skipped login, identity check and recovery of the user fails closed
// until UnsuspendUser (DESIGN.md §7.4). The user's status before is kept
// in the user.suspended event (detail previous_status) so that
// UnsuspendUser restores it. A user already suspended is CodeConflict; an
// unknown one CodeNotFound. Neither is audited: nothing happened.
func (s *Service) SuspendUser(ctx context.Context, req UserActionRequest) (User, error) {
	return s.updateUserAudited(ctx, req, AuditUserSuspend, EventUserSuspended,
		func(_ Tx, old User) (User, map[string]string, error) {
			if old.Status == UserSuspended {
				return old, nil, conflict("user", "already suspended", "nothing to do")
			}
			prev := old.Status
			old.Status = UserSuspended
			return old, map[string]string{detailPreviousStatus: string(prev)}, nil
		})
}

// UnsuspendUser lifts an operator's suspension and returns the user to the
// status they had before it, as recorded by the newest user.suspended
// event. Should that event be out of reach (more than 500 events since),
// the status is worked out from what the user has: enrolled with an active
// passkey and an active biometric reference, biometric_pending with only a
// passkey, invited otherwise. A user who is not suspended is CodeConflict.
func (s *Service) UnsuspendUser(ctx context.Context, req UserActionRequest) (User, error) {
	return s.updateUserAudited(ctx, req, AuditUserUnsuspend, EventUserUnsuspended,
		func(tx Tx, old User) (User, map[string]string, error) {
			if old.Status != UserSuspended {
				return old, nil, conflict("user", "not suspended", "only a suspended user can be unsuspended")
			}
			status, err := s.statusBeforeSuspension(ctx, tx, old.ExternalID)
			if err != nil {
				return old, nil, err
			}
			old.Status = status
			return old, map[string]string{"status": string(status)}, nil
		})
}

// statusBeforeSuspension finds the status UnsuspendUser restores.
func (s *Service) statusBeforeSuspension(ctx context.Context, tx Tx, externalID string) (UserStatus, error) {
	events, err := tx.ListEvents(ctx, externalID, suspendedEventsLookBehind)
	if err != nil {
		return "", err
	}
	for _, e := range events { // newest first
		if e.Type != EventUserSuspended {
			continue
		}
		switch st := UserStatus(e.Detail[detailPreviousStatus]); st {
		case UserInvited, UserBiometricPending, UserEnrolled:
			return st, nil
		}
		break
	}
	creds, err := tx.ListCredentials(ctx, externalID)
	if err != nil {
		return "", err
	}
	refs, err := tx.ListReferences(ctx, externalID)
	if err != nil {
		return "", err
	}
	hasPasskey := slices.ContainsFunc(creds, func(c Credential) bool { return c.Status != CredentialRevoked })
	hasRef := slices.ContainsFunc(refs, func(r BiometricReference) bool { return r.Status == ReferenceActive })
	switch {
	case hasPasskey && hasRef:
		return UserEnrolled, nil
	case hasPasskey:
		return UserBiometricPending, nil
	}
	return UserInvited, nil
}

// RequireReverification makes an enrolled user prove their identity
// again: it revokes the user's active biometric references and moves the
// user back to biometric_pending, in one transaction with the
// user.reverification_required event and the audit record. From then on a
// step-up or a recovery is refused (there is no reference to match), while
// routine passkey sign-ins go on at the passkey's level; a new enrollment
// link from the relying party resumes at the identity check
// (ResumeEnrollment), whose pass establishes a new reference and enrols the
// user again. After the commit the identity-verification provider is asked
// to delete the old references (idvbridge.Provider.DeleteReference); a
// failure there is logged, not returned: ours are revoked either way.
// A user who is not enrolled (invited, biometric_pending or suspended) is
// CodeConflict; unsuspend a suspended user first.
func (s *Service) RequireReverification(ctx context.Context, req UserActionRequest) (User, error) {
	var revoked []BiometricReference
	u, err := s.updateUserAudited(ctx, req, AuditUserReverify, EventReverifyRequired,
		func(tx Tx, old User) (User, map[string]string, error) {
			if old.Status != UserEnrolled {
				return old, nil, conflict("user", string(old.Status), "only an enrolled user can be asked to verify again")
			}
			refs, err := tx.ListReferences(ctx, old.ExternalID)
			if err != nil {
				return old, nil, err
			}
			revoked = revoked[:0]
			for _, r := range refs {
				if r.Status != ReferenceActive {
					continue
				}
				r, err := tx.UpdateReference(ctx, r.ID, func(r BiometricReference) (BiometricReference, error) {
					r.Status, r.RevokedAt = ReferenceRevoked, s.now().UTC()
					return r, nil
				})
				if err != nil {
					return old, nil, err
				}
				revoked = append(revoked, r)
			}
			old.Status = UserBiometricPending
			return old, map[string]string{"revoked_references": strconv.Itoa(len(revoked))}, nil
		})
	if err != nil {
		return User{}, err
	}
	_ = s.deleteReferences(ctx, revoked) // logged; ours are revoked either way
	return u, nil
}

// errProviderNotConfigured is deleteReferences' error for a reference of a
// provider this service is not configured with: nobody can delete it.
var errProviderNotConfigured = errors.New("its identity-verification provider is not configured")

// deleteReferences asks the identity-verification provider to delete refs
// (idvbridge.Provider.DeleteReference), one after the other, logging each
// outcome. A reference the provider no longer has counts as deleted. It
// goes on after a failure and returns them all joined: a reference of a
// provider that is not configured wraps errProviderNotConfigured. Callers
// that have already revoked refs on our side (RequireReverification) may
// ignore the error; EraseUser may not.
func (s *Service) deleteReferences(ctx context.Context, refs []BiometricReference) error {
	var errs []error
	for _, r := range refs {
		err := s.deleteReference(ctx, r)
		if err != nil {
			s.log.WarnContext(ctx, "reference not deleted at its provider", "user", r.UserExternalID,
				"reference_id", r.ID, "provider", r.Provider, "error", err)
			errs = append(errs, fmt.Errorf("reference %s: %w", r.ID, err))
			continue
		}
		s.log.InfoContext(ctx, "reference deleted at its provider", "user", r.UserExternalID, "reference_id", r.ID)
	}
	return errors.Join(errs...)
}

// deleteReference asks the provider to delete r; one it does not know
// (idvbridge.ErrNotFound, or its API's HTTP 404) is deleted already.
func (s *Service) deleteReference(ctx context.Context, r BiometricReference) error {
	if s.cfg.IDV == nil || r.Provider != s.cfg.IDV.Name() {
		return fmt.Errorf("provider %q: %w", r.Provider, errProviderNotConfigured)
	}
	plain, err := s.open(r.ID, r.UserExternalID, r.SealedRef)
	if err != nil {
		return err
	}
	err = s.cfg.IDV.DeleteReference(ctx, idvbridge.Reference{Provider: r.Provider, ID: plain})
	var apiErr *idvbridge.APIError
	if errors.Is(err, idvbridge.ErrNotFound) || errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusNotFound {
		return nil
	}
	return err
}

// updateCredentialAudited runs one operator action on a credential in one
// transaction with its lifecycle event and audit record, as
// updateUserAudited does for users.
func (s *Service) updateCredentialAudited(ctx context.Context, id []byte, operator, action string, event EventType,
	detail map[string]string, change func(old Credential) (Credential, map[string]string, error),
) (Credential, error) {
	var c Credential
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var extra map[string]string
		var err error
		c, err = tx.UpdateCredential(ctx, id, func(old Credential) (Credential, error) {
			var next Credential
			next, extra, err = change(old)
			if err != nil {
				return old, err
			}
			return next, nil
		})
		if err != nil {
			return err
		}
		d := maps.Clone(detail)
		maps.Copy(d, extra)
		if err := s.event(ctx, tx, Event{Type: event, UserExternalID: c.UserExternalID, CredentialID: c.ID, Actor: operator, Detail: d}); err != nil {
			return err
		}
		ad := maps.Clone(d)
		if ad["user"], err = auditSubject(ctx, tx, c.UserExternalID); err != nil {
			return err
		}
		return s.audit(ctx, tx, AuditRecord{Actor: operator, Action: action, Target: base64.RawURLEncoding.EncodeToString(c.ID), Detail: ad})
	})
	if err != nil {
		return Credential{}, fmt.Errorf("%s: %w", action, err)
	}
	s.log.InfoContext(ctx, "operator action", "action", action, "user", c.UserExternalID, "operator", operator)
	return c, nil
}

// SuspendCredential locks a passkey on an operator's behalf, reversibly:
// until UnsuspendCredential it fails closed exactly like a revoked one
// (sign-in, step-up, skipped logins; DESIGN.md §7.4). Only an active
// passkey can be suspended: a suspended one is CodeConflict, as are a
// revoked one (revocation is final) and a flagged one (a possible clone
// is already locked; after review it is revoked or unsuspended).
func (s *Service) SuspendCredential(ctx context.Context, req CredentialActionRequest) (Credential, error) {
	if err := req.validate(); err != nil {
		return Credential{}, err
	}
	return s.updateCredentialAudited(ctx, req.CredentialID, req.Operator, AuditCredentialSuspend, EventCredentialSuspended,
		map[string]string{"reason": req.Reason}, func(old Credential) (Credential, map[string]string, error) {
			if old.Status != CredentialActive {
				return old, nil, conflict("passkey", string(old.Status), "only an active passkey can be suspended")
			}
			old.Status, old.StatusReason = CredentialSuspended, req.Reason
			return old, nil, nil
		})
}

// UnsuspendCredential makes a suspended passkey active again, and is also
// how an operator clears a flagged one after review (the flag's reason
// stays in its credential.flagged event and in this action's
// previous_status and previous_reason). An active or revoked passkey is
// CodeConflict.
func (s *Service) UnsuspendCredential(ctx context.Context, req CredentialActionRequest) (Credential, error) {
	if err := req.validate(); err != nil {
		return Credential{}, err
	}
	return s.updateCredentialAudited(ctx, req.CredentialID, req.Operator, AuditCredentialUnsuspend, EventCredentialUnsuspended,
		map[string]string{"reason": req.Reason}, func(old Credential) (Credential, map[string]string, error) {
			if old.Status != CredentialSuspended && old.Status != CredentialFlagged {
				return old, nil, conflict("passkey", string(old.Status), "only a suspended or flagged passkey can be unsuspended")
			}
			d := map[string]string{detailPreviousStatus: string(old.Status), "previous_reason": old.StatusReason}
			old.Status, old.StatusReason = CredentialActive, ""
			return old, d, nil
		})
}

// RenameCredential sets a passkey's user-visible name (1 to 64 printable
// characters). Any passkey can be renamed, revoked ones included: the
// name only labels it.
func (s *Service) RenameCredential(ctx context.Context, req RenameCredentialRequest) (Credential, error) {
	if err := validateCredentialID(req.CredentialID); err != nil {
		return Credential{}, err
	}
	if err := validateOperator(req.Operator); err != nil {
		return Credential{}, err
	}
	if err := validateCredentialName(req.Name); err != nil {
		return Credential{}, err
	}
	return s.updateCredentialAudited(ctx, req.CredentialID, req.Operator, AuditCredentialRename, EventCredentialRenamed,
		map[string]string{"name": req.Name}, func(old Credential) (Credential, map[string]string, error) {
			d := map[string]string{"previous_name": old.Name}
			old.Name = req.Name
			return old, d, nil
		})
}
