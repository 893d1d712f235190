package authenticator

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Bounds and defaults of the time-to-live settings.
const (
	DefaultChallengeTTL  = 2 * time.Minute
	MaxChallengeTTL      = 5 * time.Minute // DESIGN.md §7.1
	DefaultEnrollmentTTL = 15 * time.Minute
	MaxEnrollmentTTL     = 24 * time.Hour
	DefaultSessionTTL    = time.Hour
	MaxSessionTTL        = 30 * 24 * time.Hour
)

// Attestation conveyance preferences (WebAuthn §5.4.7).
const (
	AttestationNone     = "none"
	AttestationIndirect = "indirect"
	AttestationDirect   = "direct"
)

// Policy says which passkeys may be registered. The zero value is the most
// restrictive: device-bound only, no attestation requested, any AAGUID.
type Policy struct {
	// AllowSynced admits synced passkeys (BE=1, WebAuthn §6.1.3). When false,
	// registration requires a device-bound credential.
	AllowSynced bool
	// AAGUIDAllow, when not empty, admits only these authenticator models
	// (canonical UUID strings). The all-zero AAGUID is refused by an allow
	// list. AAGUIDs are self-asserted unless attestation is verified, so an
	// allow list is a policy aid, not proof of a model.
	AAGUIDAllow []string
	// AAGUIDDeny refuses these authenticator models.
	AAGUIDDeny []string
	// Attestation is the conveyance preference sent at registration: "none"
	// (default), "indirect" or "direct".
	Attestation string
}

// Config configures a Service.
type Config struct {
	RPID          string   // WebAuthn relying-party id: a registrable domain, no scheme or port
	RPDisplayName string   // shown by the authenticator
	RPOrigins     []string // allowed origins, e.g. https://login.example.com (checked strictly, WebAuthn §7.2 step 9)
	Policy        Policy
	Ladder        *acr.Ladder   // nil means acr.DefaultLadder()
	ChallengeTTL  time.Duration // ceremony lifetime; 0 = DefaultChallengeTTL, at most MaxChallengeTTL
	EnrollmentTTL time.Duration // enrollment link lifetime; 0 = DefaultEnrollmentTTL
	SessionTTL    time.Duration // how long a login's level is remembered; 0 = DefaultSessionTTL
	// BiometricAvailable is true when an identity-verification provider is
	// configured, which levels requiring a biometric match need. New sets it
	// when IDV is set; setting it without IDV only advertises the levels
	// (kept for hosts that wire the provider elsewhere).
	BiometricAvailable bool
	// IDV is the identity-verification provider for the enrollment, step-up
	// and recovery checks; nil means none (starting, refreshing or applying
	// a check then fails with CodeUnmetRequirements). Setting it sets
	// BiometricAvailable.
	IDV idvbridge.Provider
	// ReferenceKey is the AES-256-GCM key (ReferenceKeySize bytes) that seals
	// the provider's reference ids at rest (DESIGN.md §7.6). Required when
	// IDV is set.
	ReferenceKey []byte
	// IDVTimeout is how long a journey waits for its identity check's
	// outcome; 0 = DefaultIDVTimeout, at most an hour.
	IDVTimeout time.Duration
	// IDVAttemptsPerHour bounds the identity checks one user may start per
	// hour, over all journeys; 0 = DefaultIDVAttemptsPerHour.
	IDVAttemptsPerHour int
	// KeepCredentialsOnRecovery keeps a user's other passkeys when an
	// account recovery registers a replacement. The default, false, revokes
	// them (issue 3 item 8): a recovery usually means a device was lost, and
	// whoever holds it must not keep signing in.
	KeepCredentialsOnRecovery bool
}

// Option customises a Service beyond its Config.
type Option func(*Service)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithClock sets the clock (default: time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRandom sets the source of randomness for ids, tokens and user handles
// (default: crypto/rand).
func WithRandom(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithEventEndpoints sets the webhook endpoints (their URLs) every event is
// queued for, in the transaction that appends it (ADR 0009); a deliverer
// such as authenticator/webhook sends them. Default: none.
func WithEventEndpoints(urls ...string) Option {
	return func(s *Service) { s.endpoints = slices.Clone(urls) }
}

// Service runs the journeys. It is safe for concurrent use and holds no
// state of its own beyond its stores, so any number of instances may share
// them.
type Service struct {
	cfg    Config
	wa     *webauthn.WebAuthn
	ladder *acr.Ladder
	store  Store
	eph    EphemeralStore
	log    *slog.Logger
	now    func() time.Time
	rand   io.Reader
	allow  []uuid.UUID
	deny   []uuid.UUID
	// sealer seals provider reference ids; nil without a ReferenceKey.
	sealer cipher.AEAD
	// fakeKey derives stand-in credential ids for unknown usernames.
	fakeKey []byte
	// endpoints are the webhook endpoints every event is queued for.
	endpoints []string
}

// ErrInvalidConfig is wrapped by every New validation error.
var ErrInvalidConfig = errors.New("invalid authenticator config")

// New validates a copy of cfg (reporting every problem at once) and returns
// a Service over the given stores.
func New(cfg Config, store Store, eph EphemeralStore, opts ...Option) (*Service, error) {
	cfg.RPOrigins = slices.Clone(cfg.RPOrigins)
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...)))
	}
	if cfg.RPID == "" || strings.ContainsAny(cfg.RPID, ":/ ") {
		bad("rp_id", "must be a domain name without scheme or port, got %q", cfg.RPID)
	}
	if cfg.RPDisplayName == "" {
		bad("rp_display_name", "must not be empty")
	}
	if len(cfg.RPOrigins) == 0 {
		bad("rp_origins", "at least one origin is required")
	}
	for i, o := range cfg.RPOrigins {
		if err := checkOrigin(o, cfg.RPID); err != nil {
			bad(fmt.Sprintf("rp_origins[%d]", i), "%v", err)
		}
	}
	ttl := func(field string, v *time.Duration, def, max time.Duration) {
		if *v == 0 {
			*v = def
		}
		if *v < time.Second || *v > max {
			bad(field, "must be between 1s and %s, got %s", max, *v)
		}
	}
	ttl("challenge_ttl", &cfg.ChallengeTTL, DefaultChallengeTTL, MaxChallengeTTL)
	ttl("enrollment_ttl", &cfg.EnrollmentTTL, DefaultEnrollmentTTL, MaxEnrollmentTTL)
	ttl("session_ttl", &cfg.SessionTTL, DefaultSessionTTL, MaxSessionTTL)
	ttl("idv_timeout", &cfg.IDVTimeout, DefaultIDVTimeout, time.Hour)
	if cfg.IDVAttemptsPerHour == 0 {
		cfg.IDVAttemptsPerHour = DefaultIDVAttemptsPerHour
	}
	if cfg.IDVAttemptsPerHour < 1 || cfg.IDVAttemptsPerHour > 1000 {
		bad("idv_attempts_per_hour", "must be between 1 and 1000, got %d", cfg.IDVAttemptsPerHour)
	}
	if cfg.Policy.Attestation == "" {
		cfg.Policy.Attestation = AttestationNone
	}
	if !slices.Contains([]string{AttestationNone, AttestationIndirect, AttestationDirect}, cfg.Policy.Attestation) {
		bad("policy.attestation", "must be none, indirect or direct, got %q", cfg.Policy.Attestation)
	}
	parseAAGUIDs := func(field string, in []string) []uuid.UUID {
		out := make([]uuid.UUID, 0, len(in))
		for i, a := range in {
			u, err := uuid.Parse(a)
			if err != nil {
				bad(fmt.Sprintf("%s[%d]", field, i), "not a UUID: %q", a)
			}
			out = append(out, u)
		}
		return out
	}
	allow := parseAAGUIDs("policy.aaguid_allow", cfg.Policy.AAGUIDAllow)
	deny := parseAAGUIDs("policy.aaguid_deny", cfg.Policy.AAGUIDDeny)
	if store == nil {
		bad("store", "a durable store is required")
	}
	if eph == nil {
		bad("ephemeral_store", "an ephemeral store is required")
	}
	if cfg.Ladder == nil {
		cfg.Ladder = acr.DefaultLadder()
	}
	cfg.ReferenceKey = slices.Clone(cfg.ReferenceKey)
	var sealer cipher.AEAD
	if cfg.IDV != nil || len(cfg.ReferenceKey) > 0 {
		var err error
		if sealer, err = newSealer(cfg.ReferenceKey); err != nil {
			bad("reference_key", "%v (required with an IDV provider)", err)
		}
	}
	if cfg.IDV != nil {
		cfg.BiometricAvailable = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             cfg.RPOrigins,
		AttestationPreference: protocol.ConveyancePreference(cfg.Policy.Attestation),
		// WebAuthn §5.4.4: discoverable credentials and user verification in
		// every ceremony (DESIGN.md §7.2).
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: cfg.ChallengeTTL, TimeoutUVD: cfg.ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: cfg.ChallengeTTL, TimeoutUVD: cfg.ChallengeTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	s := &Service{
		cfg: cfg, wa: wa, ladder: cfg.Ladder, store: store, eph: eph,
		log: slog.New(slog.DiscardHandler), now: time.Now, rand: rand.Reader, allow: allow, deny: deny,
		sealer: sealer,
	}
	for _, o := range opts {
		o(s)
	}
	if s.fakeKey, err = s.randomBytes(32); err != nil {
		return nil, err
	}
	return s, nil
}

// checkOrigin accepts https origins whose host is the RP ID or below it, and
// http only for localhost (a secure context in browsers).
func checkOrigin(o, rpID string) error {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("must be a bare origin like https://login.example.com, got %q", o)
	}
	host := u.Hostname()
	if u.Scheme != "https" && !(u.Scheme == "http" && host == "localhost") {
		return fmt.Errorf("must use https (http is allowed only for localhost), got %q", o)
	}
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return fmt.Errorf("host %q is not %q or a subdomain of it (WebAuthn §5.1.4.1)", host, rpID)
	}
	return nil
}

// Capabilities reports the ladder and which levels this deployment reaches.
func (s *Service) Capabilities(ctx context.Context) (Capabilities, error) {
	c := Capabilities{Levels: s.ladder.Levels(), RPID: s.cfg.RPID}
	for _, lv := range c.Levels {
		if s.reachable(lv) {
			c.ReachableACR = append(c.ReachableACR, lv.ACR)
		}
	}
	return c, nil
}

func (s *Service) reachable(lv acr.Level) bool {
	return s.cfg.BiometricAvailable || !slices.Contains(lv.Requires, acr.RequireBiometric)
}

// randomID returns n random bytes as unpadded base64url.
func (s *Service) randomID(n int) (string, error) {
	b, err := s.randomBytes(n)
	return base64.RawURLEncoding.EncodeToString(b), err
}

// newAuditSubject draws a user's audit pseudonym: "p-" and 16 random bytes
// in lowercase hex (ADR 0010).
func (s *Service) newAuditSubject() (string, error) {
	b, err := s.randomBytes(16)
	return "p-" + hex.EncodeToString(b), err
}

func (s *Service) randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, Errorf(CodeInternal, "read random: %w", err)
	}
	return b, nil
}

// putJSON stores v as JSON under key for ttl.
func (s *Service) putJSON(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return Errorf(CodeInternal, "encode %s: %w", key, err)
	}
	if err := s.eph.Put(ctx, key, b, ttl); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// loadJSON decodes the value under key, consuming it when take is set.
// Absence (expired, used, never existed) is reported as gone.
func (s *Service) loadJSON(ctx context.Context, key string, take bool, v any, gone *Error) error {
	get := s.eph.Get
	if take {
		get = s.eph.Take
	}
	b, err := get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return &Error{Code: gone.Code, Message: gone.Message, Err: fmt.Errorf("%s: %w", key, err)}
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Errorf(CodeInternal, "decode %s: %w", key, err)
	}
	return nil
}

// ceremonyOptions renders the options the browser passes to
// navigator.credentials.create() or .get(): {"publicKey": {...}}.
func ceremonyOptions(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, Errorf(CodeInternal, "encode options: %w", err)
	}
	return b, nil
}

// event appends a lifecycle event; a failure is logged, not returned, when
// the state change it describes has already happened.
func (s *Service) event(ctx context.Context, tx Tx, e Event) error {
	e.At = s.now().UTC()
	stored, err := tx.AppendEvent(ctx, e)
	if err != nil {
		return fmt.Errorf("append %s event: %w", e.Type, err)
	}
	// The outbox rows go in the same transaction as the event and the state
	// change it records: an event that happened is always queued (ADR 0009).
	if len(s.endpoints) > 0 {
		if err := tx.EnqueueDeliveries(ctx, stored.ID, s.endpoints, e.At); err != nil {
			return fmt.Errorf("queue %s event for delivery: %w", e.Type, err)
		}
	}
	return nil
}

// waUser adapts a User and its credentials to go-webauthn's User interface.
type waUser struct {
	u     User
	creds []webauthn.Credential
}

func (w *waUser) WebAuthnID() []byte                         { return w.u.Handle }
func (w *waUser) WebAuthnName() string                       { return w.u.Username }
func (w *waUser) WebAuthnDisplayName() string                { return w.u.DisplayName }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// toWebAuthn converts a stored credential for go-webauthn.
func toWebAuthn(c Credential) webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat,
		Transport:     tr,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true, BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

// descriptors lists credentials for allowCredentials or excludeCredentials.
func descriptors(creds []Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		wc := toWebAuthn(c)
		out = append(out, wc.Descriptor())
	}
	return out
}

// verificationError turns a go-webauthn failure into a user-safe error,
// keeping go-webauthn's detail (which *protocol.Error keeps in DevInfo and
// Details) for the logs only.
func verificationError(err error, uv bool) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		err = fmt.Errorf("%w (%s; %s)", err, pe.Details, pe.DevInfo)
	}
	var unknown *protocol.ErrorUnknownCredential
	switch {
	case errors.As(err, &unknown):
		return UserError(CodeVerification, "this passkey is not registered here", err)
	case !uv:
		return UserError(CodeVerification, "your device did not verify you (screen lock, fingerprint or face); this service requires it", err)
	}
	return &Error{Code: CodeVerification, Message: ErrVerification.Message, Err: err}
}
