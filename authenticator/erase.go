package authenticator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditUserErase is the audit action of EraseUser.
const AuditUserErase = "user.erase"

// Erasure is what EraseUser did: whom it erased and how many of their
// records it deleted.
type Erasure struct {
	ExternalID   string
	AuditSubject string // the pseudonym the audit log keeps for the user
	Credentials  int
	References   int // biometric references, deleted at the provider first
	Checks       int // identity-verification checks
	Approvals    int
	Events       int // with their webhook deliveries
	At           time.Time
}

// EraseUser erases a user on an operator's behalf (issue 4; ADR 0010): it
// asks the identity-verification provider to delete every biometric
// reference the user has, active or revoked, and then, in one transaction,
// deletes the user's passkeys, references, identity checks, approvals and
// events (with their webhook deliveries) and the user, appends the
// user.erased event and the user.erase audit record. The audit log keeps
// what it had, which names the user only by the AuditSubject pseudonym.
//
// A reason is required. An unknown user is CodeNotFound and not audited,
// so a second erasure of the same user is CodeNotFound. Nothing is erased
// unless the provider deleted every reference: a provider failure is
// CodeUnavailable (retry later), a reference of a provider this service is
// not configured with is CodeConflict (configure it, then retry), and so
// is a reference added while the provider was asked. A suspended user can
// be erased. Ceremonies, checks and links the user had in flight fail
// closed afterwards: the user is gone. The external id is free again: a
// new enrollment creates a new user, with a new AuditSubject.
func (s *Service) EraseUser(ctx context.Context, req UserActionRequest) (Erasure, error) {
	if err := req.validate(); err != nil {
		return Erasure{}, err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return Erasure{}, UserError(CodeInvalidArgument, "reason is required to erase a user", nil)
	}
	if _, err := s.store.GetUser(ctx, req.ExternalID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Erasure{}, UserError(CodeNotFound, fmt.Sprintf("there is no user %q", req.ExternalID), err)
		}
		return Erasure{}, fmt.Errorf("erase user: %w", err)
	}
	refs, err := s.store.ListReferences(ctx, req.ExternalID)
	if err != nil {
		return Erasure{}, fmt.Errorf("erase user: %w", err)
	}
	// Every reference is deleted at its provider before anything is erased
	// here: biometric data must not stay at a vendor once we forget it.
	for _, r := range refs {
		if s.cfg.IDV == nil || r.Provider != s.cfg.IDV.Name() {
			return Erasure{}, UserError(CodeConflict, fmt.Sprintf(
				"the user has a biometric reference at the identity-verification provider %q, which is not configured: "+
					"it cannot be deleted there, so nothing was erased; configure the provider and try again", r.Provider), nil)
		}
	}
	if err := s.deleteReferences(ctx, refs); err != nil {
		return Erasure{}, UserError(CodeUnavailable,
			"the identity-verification provider could not delete the user's biometric reference; nothing was erased: try again later", err)
	}
	deleted := make(map[string]bool, len(refs))
	for _, r := range refs {
		deleted[r.ID] = true
	}

	e := Erasure{ExternalID: req.ExternalID, At: s.now().UTC()}
	err = s.store.Atomic(ctx, func(tx Tx) error {
		// The no-op update locks the user's row (PostgreSQL), so that no
		// reference can be added between the check below and the erasure.
		u, err := tx.UpdateUser(ctx, req.ExternalID, func(u User) (User, error) { return u, nil })
		if err != nil {
			return err
		}
		refs, err := tx.ListReferences(ctx, req.ExternalID)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if !deleted[r.ID] {
				return UserError(CodeConflict,
					"a biometric reference was added to the user during the erasure; nothing was erased: try again", nil)
			}
		}
		n, err := tx.EraseUser(ctx, req.ExternalID)
		if err != nil {
			return err
		}
		e.AuditSubject = u.AuditSubject
		e.Credentials, e.References, e.Checks, e.Approvals, e.Events = n.Credentials, n.References, n.Checks, n.Approvals, n.Events
		// The event carries the external id: the relying party needs it to
		// erase the user on its side. It is the only record left that does,
		// so it must not carry the pseudonym too: together they would link
		// the audit records back to the person (ADR 0010).
		if err := s.event(ctx, tx, Event{Type: EventUserErased, UserExternalID: req.ExternalID, Actor: req.Operator,
			Detail: map[string]string{"reason": req.Reason}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, AuditRecord{Actor: req.Operator, Action: AuditUserErase, Target: u.AuditSubject,
			Detail: map[string]string{
				"reason":      req.Reason,
				"credentials": strconv.Itoa(n.Credentials),
				"references":  strconv.Itoa(n.References),
				"checks":      strconv.Itoa(n.Checks),
				"approvals":   strconv.Itoa(n.Approvals),
				"events":      strconv.Itoa(n.Events),
			}})
	})
	if errors.Is(err, ErrNotFound) {
		return Erasure{}, UserError(CodeNotFound, fmt.Sprintf("there is no user %q", req.ExternalID), err)
	}
	if err != nil {
		return Erasure{}, fmt.Errorf("erase user: %w", err)
	}
	s.log.InfoContext(ctx, "operator action", "action", AuditUserErase, "audit_subject", e.AuditSubject,
		"operator", req.Operator, "references_deleted_at_provider", len(refs))
	return e, nil
}
