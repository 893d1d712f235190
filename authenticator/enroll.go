package authenticator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
)

// enrollmentRecord is what an enrollment link stands for. Only the SHA-256
// of the link's token is a key, so the store never holds a usable link.
type enrollmentRecord struct {
	ExternalUserID string    `json:"user"`
	ClientID       string    `json:"client"`
	ReturnURL      string    `json:"return_url,omitempty"`
	ExpiresAt      time.Time `json:"exp"`
	// Purpose is PurposeEnrollment or PurposeRecovery; empty in links made
	// before recovery links existed, which were all enrollment links.
	Purpose string `json:"purpose,omitempty"`
}

// recovery reports whether the link is a recovery link.
func (r enrollmentRecord) recovery() bool { return r.Purpose == PurposeRecovery }

// registrationRecord is an open registration ceremony. It is either an
// enrollment's (EnrollmentKey: the link to consume when it finishes) or a
// recovery's (Recovery: the passed check that allows it), never both.
type registrationRecord struct {
	Session        webauthn.SessionData  `json:"session"`
	ExternalUserID string                `json:"user"`
	EnrollmentKey  string                `json:"enrollment,omitempty"`
	Recovery       *recoveryRegistration `json:"recovery,omitempty"`
}

var (
	errEnrollmentGone    = &Error{Code: CodeChallengeUnknown, Message: "this enrollment link has expired or was already used; ask for a new one"}
	errRecoveryLinkFirst = &Error{Code: CodeInvalidArgument, Message: "this is an account recovery link: verify your identity first, then create your new passkey"}
)

func enrollmentKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return "enrollment:" + hex.EncodeToString(h[:])
}

// CreateEnrollment is called by a relying party's backend for one of its
// accounts. It creates the user on first use (status invited) and returns a
// single-use enrollment link secret valid for EnrollmentTTL. A suspended user
// cannot be enrolled.
//
// With Purpose PurposeRecovery the link is a server-to-server start of an
// account recovery (ADR 0005) instead: it is only for an existing, enrolled
// user with an active biometric reference, never creates a user, and
// ResumeEnrollment runs its recovery check (BeginRegistration refuses it:
// the check comes first). An unknown user is CodeNotFound, one who has not
// finished enrollment or has no active reference CodeUnmetRequirements, a
// suspended one CodeUserSuspended; any other Purpose is CodeInvalidArgument.
func (s *Service) CreateEnrollment(ctx context.Context, req CreateEnrollmentRequest) (Enrollment, error) {
	if req.Username == "" {
		req.Username = req.ExternalUserID
	}
	if req.DisplayName == "" {
		req.DisplayName = req.Username
	}
	if req.Purpose == "" {
		req.Purpose = PurposeEnrollment
	}
	if err := errors.Join(ValidateExternalUserID(req.ExternalUserID), validateUsername(req.Username),
		validateDisplayName(req.DisplayName), validateReturnURL(req.ReturnURL), validatePurpose(req.Purpose)); err != nil {
		return Enrollment{}, firstError(err)
	}
	if req.Purpose == PurposeRecovery {
		u, _, err := s.recoverableUser(ctx, req.ExternalUserID)
		if err != nil {
			return Enrollment{}, err
		}
		return s.createLink(ctx, u, req)
	}
	u, err := s.store.GetUser(ctx, req.ExternalUserID)
	switch {
	case errors.Is(err, ErrNotFound):
		if u, err = s.createUser(ctx, req); err != nil {
			return Enrollment{}, err
		}
	case err != nil:
		return Enrollment{}, fmt.Errorf("create enrollment: %w", err)
	case u.Status == UserSuspended:
		return Enrollment{}, Errorf(CodeUserSuspended, "enrollment for suspended user %s", u.ExternalID)
	}
	return s.createLink(ctx, u, req)
}

// createLink stores a new link of req.Purpose for u and returns its secret.
func (s *Service) createLink(ctx context.Context, u User, req CreateEnrollmentRequest) (Enrollment, error) {
	token, err := s.randomID(32)
	if err != nil {
		return Enrollment{}, err
	}
	exp := s.now().Add(s.cfg.EnrollmentTTL).UTC()
	rec := enrollmentRecord{ExternalUserID: u.ExternalID, ClientID: req.ClientID, ReturnURL: req.ReturnURL, ExpiresAt: exp, Purpose: req.Purpose}
	if err := s.putJSON(ctx, enrollmentKey(token), rec, s.cfg.EnrollmentTTL); err != nil {
		return Enrollment{}, err
	}
	s.log.InfoContext(ctx, req.Purpose+" link created", "user", u.ExternalID, "client", req.ClientID, "expires_at", exp)
	return Enrollment{Token: token, ExpiresAt: exp, User: u}, nil
}

func validatePurpose(p string) error {
	if p != PurposeEnrollment && p != PurposeRecovery {
		return UserError(CodeInvalidArgument, "purpose must be enrollment or recovery", fmt.Errorf("purpose %q", p))
	}
	return nil
}

func (s *Service) createUser(ctx context.Context, req CreateEnrollmentRequest) (User, error) {
	handle, err := s.randomBytes(32) // WebAuthn §14.6.1: a random handle, no personal data
	if err != nil {
		return User{}, err
	}
	subject, err := s.newAuditSubject()
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC()
	u := User{ExternalID: req.ExternalUserID, Handle: handle, Username: req.Username, DisplayName: req.DisplayName,
		Status: UserInvited, AuditSubject: subject, CreatedAt: now, UpdatedAt: now}
	err = s.store.Atomic(ctx, func(tx Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.event(ctx, tx, Event{Type: EventUserInvited, UserExternalID: u.ExternalID, Actor: "client:" + req.ClientID})
	})
	if errors.Is(err, ErrConflict) {
		return User{}, UserError(CodeConflict, "this username is already in use", err)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// BeginRegistration opens a registration ceremony for the enrollment link's
// user. The link stays valid until a registration finishes with it. A
// recovery link is refused (CodeInvalidArgument, the link stays valid): its
// identity check comes first (ResumeEnrollment), and the replacement
// passkey's ceremony comes from the passed check.
func (s *Service) BeginRegistration(ctx context.Context, req BeginRegistrationRequest) (Ceremony, error) {
	if err := validateToken("enrollment token", req.EnrollmentToken); err != nil {
		return Ceremony{}, err
	}
	key := enrollmentKey(req.EnrollmentToken)
	var enr enrollmentRecord
	if err := s.loadJSON(ctx, key, false, &enr, errEnrollmentGone); err != nil {
		return Ceremony{}, err
	}
	if enr.recovery() {
		return Ceremony{}, errRecoveryLinkFirst
	}
	u, creds, err := s.activeUser(ctx, enr.ExternalUserID)
	if err != nil {
		return Ceremony{}, err
	}
	creation, session, err := s.wa.BeginRegistration(&waUser{u: u},
		webauthn.WithExclusions(descriptors(creds)), // WebAuthn §5.4: don't register the same authenticator twice
	)
	if err != nil {
		return Ceremony{}, Errorf(CodeInternal, "begin registration: %w", err)
	}
	return s.openCeremony(ctx, "ceremony:reg:", creation, registrationRecord{Session: *session, ExternalUserID: u.ExternalID, EnrollmentKey: key})
}

// openCeremony stores rec under prefix+a new id and returns the ceremony.
func (s *Service) openCeremony(ctx context.Context, prefix string, options, rec any) (Ceremony, error) {
	id, err := s.randomID(32)
	if err != nil {
		return Ceremony{}, err
	}
	opts, err := ceremonyOptions(options)
	if err != nil {
		return Ceremony{}, err
	}
	if err := s.putJSON(ctx, prefix+id, rec, s.cfg.ChallengeTTL); err != nil {
		return Ceremony{}, err
	}
	return Ceremony{ID: id, Options: opts, ExpiresAt: s.now().Add(s.cfg.ChallengeTTL).UTC()}, nil
}

// activeUser loads a user who may take part in a ceremony, with credentials.
func (s *Service) activeUser(ctx context.Context, externalID string) (User, []Credential, error) {
	u, err := s.store.GetUser(ctx, externalID)
	if err != nil {
		return User{}, nil, fmt.Errorf("load user: %w", err)
	}
	if u.Status == UserSuspended {
		return User{}, nil, Errorf(CodeUserSuspended, "user %s is suspended", u.ExternalID)
	}
	creds, err := s.store.ListCredentials(ctx, u.ExternalID)
	if err != nil {
		return User{}, nil, fmt.Errorf("load credentials: %w", err)
	}
	return u, creds, nil
}

// FinishRegistration verifies the attestation response (WebAuthn §7.1),
// applies the credential policy, consumes the enrollment link and stores the
// passkey. The user becomes biometric_pending: a passkey without a biometric
// reference is not yet enrolled (DESIGN.md §1).
//
// When an IDV provider is configured and the user is biometric_pending, the
// enrollment's identity check starts at once and Registration.Pending holds
// it (finish it with ContinueIdentityCheck; req.ReturnURL is the host's
// progress page). If it cannot start (provider unavailable, rate limited)
// the passkey stays registered, the user stays biometric_pending, Pending is
// nil and the failure is only logged: the relying party resumes the
// enrollment later with a new link (ResumeEnrollment). Without a provider
// nothing more happens.
//
// A recovery's ceremony (from ContinueIdentityCheck after a passed recovery
// check) instead stores the replacement passkey and, unless
// Config.KeepCredentialsOnRecovery, revokes the user's other passkeys in
// the same transaction; see finishRecoveryRegistration.
func (s *Service) FinishRegistration(ctx context.Context, req FinishRequest) (Registration, error) {
	if err := errors.Join(validateToken("ceremony_id", req.CeremonyID), validateResponse(req.Response),
		validateReturnURL(req.ReturnURL)); err != nil {
		return Registration{}, firstError(err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Response)
	if err != nil {
		return Registration{}, UserError(CodeInvalidArgument, "the passkey response is malformed", err)
	}
	var rec registrationRecord
	if err := s.loadJSON(ctx, "ceremony:reg:"+req.CeremonyID, true, &rec, ErrChallengeUnknown); err != nil {
		return Registration{}, err
	}
	if (rec.Recovery == nil) == (rec.EnrollmentKey == "") {
		return Registration{}, Errorf(CodeInternal, "registration ceremony of %s has neither or both of a link and a recovery", rec.ExternalUserID)
	}
	u, _, err := s.activeUser(ctx, rec.ExternalUserID)
	if err != nil {
		return Registration{}, err
	}
	flags := parsed.Response.AttestationObject.AuthData.Flags
	wc, err := s.wa.CreateCredential(&waUser{u: u}, rec.Session, parsed)
	if err != nil {
		return Registration{}, verificationError(err, flags.HasUserVerified())
	}
	if err := s.checkPolicy(wc); err != nil {
		return Registration{}, err
	}
	c := newCredential(wc, u.ExternalID, s.now().UTC())
	if rec.Recovery != nil {
		return s.finishRecoveryRegistration(ctx, rec, u, c, flags.HasUserVerified())
	}
	var enr enrollmentRecord
	if err := s.loadJSON(ctx, rec.EnrollmentKey, true, &enr, errEnrollmentGone); err != nil {
		return Registration{}, err
	}
	if enr.recovery() { // BeginRegistration refuses these; never register from one
		return Registration{}, withCause(errRecoveryLinkFirst, fmt.Errorf("registration ceremony from a recovery link for %s", u.ExternalID))
	}
	err = s.store.Atomic(ctx, func(tx Tx) error {
		if err := tx.CreateCredential(ctx, c); err != nil {
			return err
		}
		if u, err = tx.UpdateUser(ctx, u.ExternalID, func(old User) (User, error) {
			if old.Status == UserInvited {
				old.Status, old.UpdatedAt = UserBiometricPending, c.CreatedAt
			}
			return old, nil
		}); err != nil {
			return err
		}
		return s.event(ctx, tx, registeredEvent(c, enr.ClientID, nil))
	})
	if errors.Is(err, ErrConflict) {
		return Registration{}, UserError(CodeConflict, "this passkey is already registered", err)
	}
	if err != nil {
		return Registration{}, fmt.Errorf("store credential: %w", err)
	}
	s.log.InfoContext(ctx, "passkey registered", "user", u.ExternalID, "device_bound", c.DeviceBound(), "aaguid", uuidString(c.AAGUID))
	reg := Registration{User: u, Credential: c, ReturnURL: enr.ReturnURL}
	reg.Pending = s.startEnrollmentCheck(ctx, u, enr, req.CeremonyID, req.ReturnURL)
	return reg, nil
}

// newCredential is the stored form of a credential go-webauthn verified.
func newCredential(wc *webauthn.Credential, externalID string, now time.Time) Credential {
	c := Credential{
		ID: wc.ID, UserExternalID: externalID, PublicKey: wc.PublicKey,
		AttestationType: wc.AttestationType, AttestationFormat: wc.AttestationFormat,
		AAGUID: wc.Authenticator.AAGUID, SignCount: wc.Authenticator.SignCount,
		BackupEligible: wc.Flags.BackupEligible, BackupState: wc.Flags.BackupState,
		Status: CredentialActive, CreatedAt: now,
	}
	for _, t := range wc.Transport {
		c.Transports = append(c.Transports, string(t))
	}
	return c
}

// registeredEvent is the credential.registered event of c, for client;
// extra is added to its detail.
func registeredEvent(c Credential, client string, extra map[string]string) Event {
	d := map[string]string{"aaguid": uuidString(c.AAGUID), "device_bound": fmt.Sprint(c.DeviceBound()), "client": client}
	maps.Copy(d, extra)
	return Event{Type: EventCredentialRegistered, UserExternalID: c.UserExternalID, CredentialID: c.ID, Actor: "user", Detail: d}
}

// checkPolicy applies Policy to a verified new credential.
func (s *Service) checkPolicy(wc *webauthn.Credential) error {
	if wc.Flags.BackupEligible && !s.cfg.Policy.AllowSynced {
		return UserError(CodePolicy, "this passkey would sync to other devices; this service requires a passkey that stays on this device", nil)
	}
	aaguid, err := uuid.FromBytes(wc.Authenticator.AAGUID)
	if err != nil {
		aaguid = uuid.Nil
	}
	if len(s.allow) > 0 && !slices.Contains(s.allow, aaguid) || slices.Contains(s.deny, aaguid) {
		return UserError(CodePolicy, "this kind of authenticator is not accepted here", fmt.Errorf("aaguid %s refused by policy", aaguid))
	}
	return nil
}

func uuidString(b []byte) string {
	u, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil.String()
	}
	return u.String()
}

// firstError returns the first error of an errors.Join result, so a caller
// reports one clear problem (Join of *Errors would lose the code).
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}
