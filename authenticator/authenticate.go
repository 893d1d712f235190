package authenticator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// Bounds on identity-server data. Hydra v2 login challenges are encrypted
// flow state and run to a few hundred bytes.
const (
	maxChallengeLen = 4096
	maxSessionIDLen = 256
	maxClientIDLen  = 256
)

// authenticationRecord is an open authentication ceremony, bound to the login
// request it was begun for: Finish reports that login's challenge, never one
// supplied by the client.
type authenticationRecord struct {
	Session        webauthn.SessionData `json:"session"`
	Login          LoginRequest         `json:"login"`
	Minimum        string               `json:"min_acr"`
	ExternalUserID string               `json:"user,omitempty"` // username-first; empty for discoverable
	Unknown        bool                 `json:"unknown,omitempty"`
	// Details are the RFC 9396 authorization_details the challenge commits
	// to, in RFC 8785 canonical form, and DetailsHash their base64url
	// SHA-256 (ADR 0005); both empty for a login without details.
	Details     []byte `json:"details,omitempty"` // exact bytes: encoding/json would HTML-escape a RawMessage
	DetailsHash string `json:"details_hash,omitempty"`
}

// sessionRecord is what an identity-server session achieved (DESIGN.md §5:
// Hydra does not remember acr between logins, so we do).
type sessionRecord struct {
	acr.Session
	CredentialID []byte `json:"cred"`
}

func sessionKey(id string) string { return "session:" + id }

// DecideLogin evaluates a login request before any ceremony: accept an
// existing session at the level it really achieved, make the user sign in
// again, refuse, or run a ceremony (acr.Decide).
func (s *Service) DecideLogin(ctx context.Context, req LoginRequest) (LoginDecision, error) {
	d, lg, err := s.decide(ctx, req)
	if err != nil {
		return LoginDecision{}, err
	}
	rec := lg.Recorded
	out := LoginDecision{Action: d.Action, Error: d.Error, Description: d.Description, Target: d.Target.ACR}
	if d.Action == acr.ActionAccept && rec != nil {
		// Accept is only ever decided from a recorded session (a skipped
		// login); its auth_time is that sign-in's, never now.
		out.Subject, out.Outcome, out.AuthTime = req.Subject, d.Outcome, rec.AuthTime
	}
	return out, nil
}

// decide evaluates a login request. It also returns what the decision was
// based on: the parsed request (its authorization_details among it, parsed
// once per call) and, for a skipped login, the recorded session (nil if
// none).
func (s *Service) decide(ctx context.Context, req LoginRequest) (acr.Decision, acr.Login, error) {
	switch {
	case req.Challenge == "" || len(req.Challenge) > maxChallengeLen:
		return acr.Decision{}, acr.Login{}, UserError(CodeInvalidArgument, "login_challenge is missing or malformed", nil)
	case len(req.SessionID) > maxSessionIDLen || len(req.ClientID) > maxClientIDLen || len(req.Subject) > MaxExternalUserIDLen:
		return acr.Decision{}, acr.Login{}, UserError(CodeInvalidArgument, "the login request is malformed", nil)
	}
	r, err := acr.ParseRequest(req.ACRValues, req.RequestURL)
	if err != nil {
		return acr.Decision{Action: acr.ActionReject, Error: acr.ErrorInvalidRequest, Description: err.Error()}, acr.Login{}, nil
	}
	lg := acr.Login{Request: r, Skip: req.Skip, Subject: req.Subject, Reachable: s.reachable}
	if req.Skip {
		if lg.Recorded, err = s.recordedSession(ctx, req); err != nil {
			return acr.Decision{}, acr.Login{}, err
		}
	}
	return s.ladder.Decide(lg, s.now()), lg, nil
}

// recordedSession returns what the session achieved, or nil when nothing is
// recorded or the user or the credential it used can no longer sign in
// (DESIGN.md §7.4: fail closed, which here means signing in again).
func (s *Service) recordedSession(ctx context.Context, req LoginRequest) (*acr.Session, error) {
	if req.SessionID == "" {
		return nil, nil
	}
	var rec sessionRecord
	err := s.loadJSON(ctx, sessionKey(req.SessionID), false, &rec, ErrNotFound)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, rec.Subject)
	if errors.Is(err, ErrNotFound) || err == nil && u.Status == UserSuspended {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session user: %w", err)
	}
	c, err := s.store.GetCredential(ctx, rec.CredentialID)
	if errors.Is(err, ErrNotFound) || err == nil && c.Status != CredentialActive {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session credential: %w", err)
	}
	return &rec.Session, nil
}

// BeginAuthentication opens a passkey ceremony for a login that needs one.
// With a username it lists that user's active passkeys; for an unknown
// username it returns options that look the same (one stable fake
// credential id), so the response does not reveal who has an account
// (WebAuthn §14.6.2). When the request carries RFC 9396
// authorization_details, the challenge commits to them (bindDetails).
func (s *Service) BeginAuthentication(ctx context.Context, req BeginAuthenticationRequest) (Ceremony, error) {
	d, lg, err := s.decide(ctx, req.Login)
	if err != nil {
		return Ceremony{}, err
	}
	switch d.Action {
	case acr.ActionAuthenticate:
	case acr.ActionReject:
		return Ceremony{}, UserError(CodeUnmetRequirements, d.Description, nil)
	default:
		return Ceremony{}, UserError(CodeInvalidArgument, "this login does not need a passkey ceremony", fmt.Errorf("decision %s", d.Action))
	}
	rec := authenticationRecord{Login: req.Login, Minimum: d.Minimum.ACR}
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
	)
	opts := []webauthn.LoginOption{webauthn.WithUserVerification(protocol.VerificationRequired)}
	bind, err := s.bindDetails(lg.Request.AuthorizationDetails, &rec)
	if err != nil {
		return Ceremony{}, err
	}
	if bind != nil {
		opts = append(opts, bind)
	}
	if req.Username == "" {
		assertion, session, err = s.wa.BeginDiscoverableLogin(opts...)
	} else {
		if err := validateUsername(req.Username); err != nil {
			return Ceremony{}, err
		}
		var wu *waUser
		if wu, err = s.usernameUser(ctx, req.Username); err != nil {
			return Ceremony{}, err
		}
		rec.ExternalUserID, rec.Unknown = wu.u.ExternalID, wu.u.ExternalID == ""
		assertion, session, err = s.wa.BeginLogin(wu, opts...)
	}
	if err != nil {
		return Ceremony{}, Errorf(CodeInternal, "begin login: %w", err)
	}
	rec.Session = *session
	return s.openCeremony(ctx, "ceremony:auth:", assertion, rec)
}

// bindDetails commits the ceremony to the login's RFC 9396
// authorization_details, if it has any (ADR 0005, PSD2 dynamic linking): it
// records their RFC 8785 canonical form and hash in rec and returns the
// go-webauthn option that makes the challenge 32 random bytes followed by
// that hash (acr.BindChallenge), so the authenticator's signature covers
// exactly the details the page shows. It returns nil for a login without
// details (as decide parsed them).
func (s *Service) bindDetails(details acr.AuthorizationDetails, rec *authenticationRecord) (webauthn.LoginOption, error) {
	if len(details) == 0 {
		return nil, nil
	}
	random, err := s.randomBytes(acr.ChallengeRandomLen)
	if err != nil {
		return nil, err
	}
	challenge, err := acr.BindChallenge(random, details)
	if err != nil {
		return nil, Errorf(CodeInternal, "bind challenge: %w", err)
	}
	h := details.Hash()
	rec.Details, rec.DetailsHash = details.Canonical(), base64.RawURLEncoding.EncodeToString(h[:])
	// WebAuthn §13.4.3: the random half keeps the challenge unique and
	// unguessable; WithChallenge is go-webauthn's supported way to set it.
	return webauthn.WithChallenge(challenge), nil
}

// commitsToDetails reports whether the ceremony's challenge (as stored in
// its session: the challenge go-webauthn has just checked clientDataJSON
// against, WebAuthn §7.2 step 12) commits to rec's details. Defence in
// depth: it catches a record whose details and challenge were not made
// together.
func commitsToDetails(rec authenticationRecord) bool {
	challenge, err := base64.RawURLEncoding.DecodeString(rec.Session.Challenge)
	if err != nil {
		return false
	}
	details, err := acr.ParseAuthorizationDetails(string(rec.Details))
	return err == nil && bytes.Equal(details.Canonical(), rec.Details) && acr.ChallengeCommitsTo(challenge, details)
}

// usernameUser returns the user's active passkeys for allowCredentials, or a
// stand-in with one fake credential when the name has no usable account.
func (s *Service) usernameUser(ctx context.Context, username string) (*waUser, error) {
	u, err := s.store.GetUserByUsername(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("load user: %w", err)
	}
	var active []webauthn.Credential
	if err == nil && u.Status != UserSuspended {
		creds, err := s.store.ListCredentials(ctx, u.ExternalID)
		if err != nil {
			return nil, fmt.Errorf("load credentials: %w", err)
		}
		for _, c := range creds {
			if c.Status == CredentialActive {
				active = append(active, toWebAuthn(c))
			}
		}
	}
	if len(active) > 0 {
		return &waUser{u: u, creds: active}, nil
	}
	mac := hmac.New(sha256.New, s.fakeKey)
	mac.Write([]byte(username))
	sum := mac.Sum(nil)
	return &waUser{u: User{Handle: sum, Username: username}, creds: []webauthn.Credential{{ID: sum[:16]}}}, nil
}

// FinishAuthentication verifies an assertion (WebAuthn §7.2) for its
// ceremony, enforces the credential's state, sign count and BE flag, and
// returns the acr and amr this login's evidence supports. The level is
// recorded for the identity-server session so later skipped logins report it.
//
// When the passkey is verified but the evidence falls short of the login's
// minimum level, the login is refused, never downgraded (DESIGN.md §5): the
// result carries the bound LoginChallenge with Error
// acr.ErrorUnmetRequirements, no level is recorded, and the ceremony is
// consumed like any other.
//
// When the minimum level requires a biometric match (acr.RequireBiometric)
// and an IDV provider is configured, the verified passkey is not enough: the
// result carries only LoginChallenge and Pending, a step-up check against
// the user's active reference has started, and ContinueIdentityCheck
// finishes the login (ADR 0005). A user without an active reference, or over
// the hourly attempt limit, has the login refused instead.
//
// A ceremony begun for RFC 9396 authorization_details is accepted only if
// its challenge commits to them; the accepted login stores an Approval (the
// signed assertion, for VerifyApproval) in the transaction of its success
// event and reports the details, their hash and the approval's id.
func (s *Service) FinishAuthentication(ctx context.Context, req FinishRequest) (AuthenticationResult, error) {
	if err := errors.Join(validateToken("ceremony_id", req.CeremonyID), validateResponse(req.Response), validateReturnURL(req.ReturnURL)); err != nil {
		return AuthenticationResult{}, firstError(err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Response)
	if err != nil {
		return AuthenticationResult{}, UserError(CodeInvalidArgument, "the passkey response is malformed", err)
	}
	var rec authenticationRecord
	if err := s.loadJSON(ctx, "ceremony:auth:"+req.CeremonyID, true, &rec, ErrChallengeUnknown); err != nil {
		return AuthenticationResult{}, err
	}
	if rec.Unknown {
		return AuthenticationResult{}, UserError(CodeVerification, "this passkey is not registered here", errors.New("username-first ceremony for an unknown username"))
	}
	user, stored, err := s.verifyAssertion(ctx, rec, parsed)
	if err != nil {
		return AuthenticationResult{}, err
	}
	flags := parsed.Response.AuthenticatorData.Flags
	switch {
	case user.Status == UserSuspended:
		return AuthenticationResult{}, Errorf(CodeUserSuspended, "user %s is suspended", user.ExternalID)
	case stored.Status == CredentialRevoked:
		return AuthenticationResult{}, Errorf(CodeCredentialRevoked, "credential of %s is revoked", user.ExternalID)
	case stored.Status == CredentialFlagged:
		return AuthenticationResult{}, Errorf(CodeCredentialFlagged, "credential of %s is flagged: %s", user.ExternalID, stored.StatusReason)
	case stored.Status == CredentialSuspended:
		// An operator's lock tells the user what a flag does: contact support.
		return AuthenticationResult{}, Errorf(CodeCredentialFlagged, "credential of %s is suspended: %s", user.ExternalID, stored.StatusReason)
	case stored.Status != CredentialActive:
		return AuthenticationResult{}, Errorf(CodeCredentialRevoked, "credential of %s is %s", user.ExternalID, stored.Status)
	}
	if len(rec.Details) > 0 && !commitsToDetails(rec) {
		return AuthenticationResult{}, Errorf(CodeVerification, "ceremony challenge does not commit to its authorization details")
	}
	ev := acr.Evidence{
		PasskeyVerified: true, UserVerified: flags.HasUserVerified(), BackupEligible: stored.BackupEligible,
		CredentialActive: true, UserActive: true, // both checked just above; recordUse re-checks the credential atomically
	}
	signed := signedAssertionOf(parsed)
	if min, ok := s.ladder.Lookup(rec.Minimum); ok && slices.Contains(min.Requires, acr.RequireBiometric) && s.cfg.IDV != nil {
		// The passkey alone cannot reach this login's minimum: record its use
		// (the counter must move whatever follows), then start the live
		// biometric check (ADR 0005 step-up, step 2). Without a provider the
		// login is refused below, never downgraded.
		cred, err := s.recordUse(ctx, stored.ID, parsed.Response.AuthenticatorData.Counter, flags, nil)
		if err != nil {
			return AuthenticationResult{}, err
		}
		return s.beginStepUp(ctx, req, rec, user, cred, ev, signed)
	}
	outcome, met := s.meets(ev, rec.Minimum)
	var (
		approval *Approval
		then     func(tx Tx) error
	)
	if met {
		if approval, err = s.newApproval(user.ExternalID, rec.Login.ClientID, stored.ID, outcome.ACR, rec.Details, rec.DetailsHash, signed); err != nil {
			return AuthenticationResult{}, err
		}
		then = func(tx Tx) error {
			if err := s.event(ctx, tx, Event{Type: EventAuthenticationSuccess, UserExternalID: user.ExternalID, CredentialID: stored.ID,
				Actor: "user", Detail: map[string]string{"acr": outcome.ACR, "client": rec.Login.ClientID}}); err != nil {
				return err
			}
			return s.recordApproval(ctx, tx, approval)
		}
	}
	cred, err := s.recordUse(ctx, stored.ID, parsed.Response.AuthenticatorData.Counter, flags, then)
	if err != nil {
		return AuthenticationResult{}, err
	}
	res, err := s.completeLogin(ctx, rec.Login, rec.Minimum, user.ExternalID, cred.ID, outcome, met)
	if err != nil || res.Error != "" {
		return res, err
	}
	return withApproval(res, approval), nil
}

// meets assesses evidence and reports whether it reaches the minimum acr.
func (s *Service) meets(ev acr.Evidence, minimum string) (acr.Outcome, bool) {
	outcome, err := s.ladder.Assess(ev)
	min, ok := s.ladder.Lookup(minimum)
	return outcome, err == nil && ok && s.ladder.Check(outcome, min) == nil
}

// completeLogin ends a verified login whose evidence the caller assessed
// (meets: outcome, and whether it reaches minimum): if it falls short it
// returns the refusal (Error set, nothing recorded); otherwise it records
// the level for the identity-server session and returns the accepted
// result. Callers record their own events.
func (s *Service) completeLogin(ctx context.Context, login LoginRequest, minimum, subject string, credID []byte, outcome acr.Outcome, met bool) (AuthenticationResult, error) {
	if !met {
		s.log.InfoContext(ctx, "sign-in refused: unmet authentication requirements", "user", subject,
			"achieved", outcome.ACR, "minimum", minimum, "client", login.ClientID)
		return AuthenticationResult{LoginChallenge: login.Challenge,
			Error: acr.ErrorUnmetRequirements, ErrorDescription: ErrUnmetRequirements.Message}, nil
	}
	now := s.now().UTC()
	if login.SessionID != "" {
		sr := sessionRecord{Session: acr.Session{Subject: subject, ACR: outcome.ACR, AMR: outcome.AMR, AuthTime: now}, CredentialID: credID}
		if err := s.putJSON(ctx, sessionKey(login.SessionID), sr, s.cfg.SessionTTL); err != nil {
			return AuthenticationResult{}, err
		}
	}
	s.log.InfoContext(ctx, "sign-in", "user", subject, "acr", outcome.ACR, "client", login.ClientID)
	return AuthenticationResult{LoginChallenge: login.Challenge, Subject: subject, Outcome: outcome,
		CredentialID: credID, AuthTime: now, RememberFor: s.cfg.SessionTTL}, nil
}

// verifyAssertion checks the signature and ceremony data with go-webauthn and
// returns the user and the stored credential used. The credential is handed
// to go-webauthn with the BE flag this assertion claims, so that a BE change
// is detected by us after the signature is known to be valid: an unsigned
// assertion must not be able to get a credential flagged.
func (s *Service) verifyAssertion(ctx context.Context, rec authenticationRecord, parsed *protocol.ParsedCredentialAssertionData) (User, Credential, error) {
	flags := parsed.Response.AuthenticatorData.Flags
	var (
		user  User
		creds []Credential
	)
	load := func(u User, err error) (webauthn.User, error) {
		if err != nil {
			return nil, err
		}
		if creds, err = s.store.ListCredentials(ctx, u.ExternalID); err != nil {
			return nil, err
		}
		user = u
		wu := &waUser{u: u}
		for _, c := range creds {
			wc := toWebAuthn(c)
			wc.Flags.BackupEligible = flags.HasBackupEligible()
			wu.creds = append(wu.creds, wc)
		}
		return wu, nil
	}
	var err error
	if rec.ExternalUserID == "" {
		_, _, err = s.wa.ValidatePasskeyLogin(func(_, handle []byte) (webauthn.User, error) {
			return load(s.store.GetUserByHandle(ctx, handle))
		}, rec.Session, parsed)
		if errors.Is(err, ErrNotFound) || err != nil && user.ExternalID == "" {
			return User{}, Credential{}, UserError(CodeVerification, "this passkey is not registered here", err)
		}
	} else {
		var wu webauthn.User
		if wu, err = load(s.store.GetUser(ctx, rec.ExternalUserID)); err == nil {
			_, err = s.wa.ValidateLogin(wu, rec.Session, parsed)
		}
	}
	if err != nil {
		return User{}, Credential{}, verificationError(err, flags.HasUserVerified())
	}
	for _, c := range creds {
		if bytes.Equal(c.ID, parsed.RawID) {
			return user, c, s.checkBackupEligibility(ctx, c, flags)
		}
	}
	return User{}, Credential{}, Errorf(CodeInternal, "verified credential not found among the user's")
}

// checkBackupEligibility flags a credential whose BE flag changed: BE is
// fixed for a credential's lifetime (WebAuthn §6.1.3), so a change means a
// different or tampered authenticator.
func (s *Service) checkBackupEligibility(ctx context.Context, c Credential, flags protocol.AuthenticatorFlags) error {
	if flags.HasBackupEligible() == c.BackupEligible || c.Status != CredentialActive {
		return nil
	}
	if err := s.flag(ctx, c.ID, "backup eligibility (BE) flag changed"); err != nil {
		return err
	}
	return Errorf(CodeCredentialFlagged, "credential BE flag changed from %v", c.BackupEligible)
}

// recordUse updates the sign count, BS flag and last use and runs then (if
// not nil) after a successful update, in one transaction: one write per
// sign-in, and the login's events and its approval land together with the
// counter, or not at all. The update is a compare-and-swap on the stored
// counter; a counter that does not increase (unless both are zero, as for
// authenticators without counters) flags the credential as a possible clone
// instead (WebAuthn §6.1.1, §7.2 step 21).
func (s *Service) recordUse(ctx context.Context, id []byte, count uint32, flags protocol.AuthenticatorFlags, then func(tx Tx) error) (Credential, error) {
	var (
		c         Credential
		regressed bool
		reason    string
	)
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var err error
		c, err = tx.UpdateCredential(ctx, id, func(old Credential) (Credential, error) {
			if old.Status != CredentialActive {
				return old, Errorf(CodeCredentialRevoked, "credential changed to %s during sign-in", old.Status)
			}
			if regressed = count <= old.SignCount && (count != 0 || old.SignCount != 0); regressed {
				reason = fmt.Sprintf("signature counter did not increase (stored %d, got %d)", old.SignCount, count)
				old.Status, old.StatusReason = CredentialFlagged, reason
				return old, nil
			}
			old.SignCount, old.BackupState, old.LastUsedAt = count, flags.HasBackupState(), s.now().UTC()
			return old, nil
		})
		switch {
		case err != nil:
			return err
		case regressed:
			return s.event(ctx, tx, flagEvent(c, reason))
		case then != nil:
			return then(tx)
		}
		return nil
	})
	if err != nil {
		return Credential{}, fmt.Errorf("record use: %w", err)
	}
	if regressed {
		s.log.WarnContext(ctx, "credential flagged", "user", c.UserExternalID, "reason", reason)
		return Credential{}, Errorf(CodeCredentialFlagged, "sign count regression: %s", reason)
	}
	return c, nil
}

func flagEvent(c Credential, reason string) Event {
	return Event{Type: EventCredentialFlagged, UserExternalID: c.UserExternalID, CredentialID: c.ID, Actor: "system",
		Detail: map[string]string{"reason": reason}}
}

// flag marks a credential as a suspected clone and records the event.
func (s *Service) flag(ctx context.Context, id []byte, reason string) error {
	err := s.store.Atomic(ctx, func(tx Tx) error {
		c, err := tx.UpdateCredential(ctx, id, func(old Credential) (Credential, error) {
			old.Status, old.StatusReason = CredentialFlagged, reason
			return old, nil
		})
		if err != nil {
			return err
		}
		return s.event(ctx, tx, flagEvent(c, reason))
	})
	if err != nil {
		return fmt.Errorf("flag credential: %w", err)
	}
	s.log.Warn("credential flagged", "reason", reason)
	return nil
}
