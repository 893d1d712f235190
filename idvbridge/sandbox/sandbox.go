package sandbox

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Name is the provider's name: Provider.Name, and the Provider field of
// every Reference, Check and Outcome it makes.
const Name = "sandbox"

// ModeDevelopment is the only mode CheckAllowed accepts. The string is the
// one internal/app's config uses for its development mode.
const ModeDevelopment = "development"

// Defaults and limits for Config.
const (
	DefaultTTL           = 30 * time.Minute
	MaxTTL               = 24 * time.Hour
	DefaultMaxRuns       = 10_000
	DefaultMaxReferences = 10_000
	// MinWebhookSecret is the shortest WebhookSecret New accepts, in bytes.
	MinWebhookSecret = 16
)

// maxReturnURL bounds StartRequest.ReturnURL, in bytes.
const maxReturnURL = 2048

// Errors.
var (
	// ErrProductionRefused is returned by CheckAllowed, and so by New, for
	// any mode but development: the sandbox reports whatever the tester
	// chooses and compares nothing, so it must never decide a real login
	// (DESIGN.md §7.9).
	ErrProductionRefused = errors.New("sandbox: the sandbox identity-verification provider is refused outside development mode")
	// ErrFinished is returned by Complete for a run that has already
	// finished, by a choice or by running out of time.
	ErrFinished = errors.New("sandbox: run already finished")
)

// CheckAllowed reports whether the sandbox may run in mode: nil for
// development, ErrProductionRefused for production and for anything else
// (an empty or unknown mode is treated as production). internal/app calls
// it while validating its config so the refusal is reported with every
// other problem at start; New calls it again so no caller can forget.
func CheckAllowed(mode string) error {
	if mode == ModeDevelopment {
		return nil
	}
	return fmt.Errorf("%w (mode %q): it compares nothing and reports the outcome a tester picks; configure a real provider", ErrProductionRefused, mode)
}

// Config configures a Provider. New validates a copy; the zero values of the
// optional fields get the defaults documented on each.
type Config struct {
	// Mode must be ModeDevelopment (see CheckAllowed). Required.
	Mode string
	// BaseURL is the host's public URL under which Handler is mounted, for
	// example http://localhost:8081/sandbox/idv: an absolute http(s) URL
	// without query, fragment or user info. Capture URLs are
	// BaseURL + "/capture/" + run id. Required.
	BaseURL string
	// WebhookSecret signs the provider's notifications: X-SHA2-Signature is
	// the lowercase hex HMAC-SHA256 of the raw body under this key, as the
	// real vendor signs its webhooks. At least MinWebhookSecret bytes.
	// Required.
	WebhookSecret string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Random is the source of run ids, form tokens and reference ids;
	// crypto/rand when nil. Tests pass a seeded reader for deterministic
	// ids. It is read under the provider's lock, so it need not be safe for
	// concurrent use.
	Random io.Reader
	// Logger logs runs and outcomes (never form tokens); discarded when nil.
	Logger *slog.Logger
	// TTL is how long a check may stay pending before it expires;
	// DefaultTTL when zero, at most MaxTTL.
	TTL time.Duration
	// MaxRuns bounds the runs kept in memory; DefaultMaxRuns when zero.
	// When full, Start evicts the oldest finished or expired run, and
	// fails with idvbridge.ErrUnavailable if every run is still pending.
	MaxRuns int
	// MaxReferences bounds the references kept in memory;
	// DefaultMaxReferences when zero. When full, a passed enrollment evicts
	// the oldest reference (logged): a step-up against it then declines,
	// never passes.
	MaxReferences int
	// Notify, when set, receives each notification (header and raw body,
	// exactly as Webhook returns them) once a run finishes by a choice, so
	// the host can hand it to its webhook intake as it would the vendor's.
	// An error is logged; Fetch still reports the outcome. Optional.
	Notify func(ctx context.Context, header http.Header, body []byte) error
}

// Provider is the sandbox identity-verification provider. It is safe for
// concurrent use. Its state lives in memory: a restart forgets every run
// and reference.
type Provider struct {
	cfg     Config
	base    *url.URL // BaseURL, parsed, path without a trailing slash
	baseStr string   // BaseURL without a trailing slash
	key     []byte
	log     *slog.Logger
	pages   *pages

	mu       sync.Mutex
	runs     map[string]*run
	runOrder *list.List // of *run, oldest first
	refs     map[string]*reference
	refOrder *list.List // of *reference, oldest first
}

var _ idvbridge.Provider = (*Provider)(nil)

// run is one check.
type run struct {
	id         string
	csrf       string // the capture form's token
	journey    idvbridge.Journey
	userID     string
	ceremonyID string
	ref        *idvbridge.Reference // started with (step-up, recovery)
	returnURL  string
	createdAt  time.Time
	expiresAt  time.Time

	status      idvbridge.Status
	reason      idvbridge.Reason
	outRef      *idvbridge.Reference
	completedAt time.Time

	elem *list.Element
}

// reference is an enrolled reference: only who it belongs to.
type reference struct {
	id     string
	userID string
	elem   *list.Element
}

// New returns a Provider for cfg, or every problem with cfg at once. It
// refuses any mode but development (ErrProductionRefused).
func New(cfg Config) (*Provider, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: sandbox config %s: %s", idvbridge.ErrInvalid, field, fmt.Sprintf(format, args...)))
	}
	if err := CheckAllowed(cfg.Mode); err != nil {
		errs = append(errs, err)
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		bad("BaseURL", "%v", err)
	}
	if len(cfg.WebhookSecret) < MinWebhookSecret {
		bad("WebhookSecret", "must be at least %d bytes", MinWebhookSecret)
	}
	switch {
	case cfg.TTL < 0:
		bad("TTL", "must not be negative, got %v", cfg.TTL)
	case cfg.TTL > MaxTTL:
		bad("TTL", "must be at most %v, got %v", MaxTTL, cfg.TTL)
	case cfg.TTL == 0:
		cfg.TTL = DefaultTTL
	}
	switch {
	case cfg.MaxRuns < 0:
		bad("MaxRuns", "must not be negative, got %d", cfg.MaxRuns)
	case cfg.MaxRuns == 0:
		cfg.MaxRuns = DefaultMaxRuns
	}
	switch {
	case cfg.MaxReferences < 0:
		bad("MaxReferences", "must not be negative, got %d", cfg.MaxReferences)
	case cfg.MaxReferences == 0:
		cfg.MaxReferences = DefaultMaxReferences
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Provider{
		cfg:      cfg,
		base:     base,
		baseStr:  base.String(),
		key:      []byte(cfg.WebhookSecret),
		log:      cfg.Logger.With("idv_provider", Name),
		pages:    loadPages(),
		runs:     map[string]*run{},
		runOrder: list.New(),
		refs:     map[string]*reference{},
		refOrder: list.New(),
	}
	p.log.Warn("sandbox identity verification enabled: checks report what a tester chooses and compare nothing (development only)", "base_url", p.baseStr)
	return p, nil
}

// parseBaseURL checks BaseURL and returns it without a trailing slash.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("must be a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("must be an absolute http or https URL, got %q", s)
	case u.Host == "":
		return nil, fmt.Errorf("must name a host, got %q", s)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "":
		return nil, fmt.Errorf("must not have user info, a query or a fragment, got %q", s)
	case u.RawPath != "" || strings.ContainsAny(u.Path, "{}* \t\r\n") || strings.Contains(u.Path, "//"):
		return nil, fmt.Errorf("path must be plain (no escapes, braces, spaces or empty segments), got %q", u.Path)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// Name returns "sandbox".
func (p *Provider) Name() string { return Name }

// Path returns the path of BaseURL (without a trailing slash; empty for the
// root): the host mounts Handler at Path() + "/".
func (p *Provider) Path() string { return p.base.Path }

// Start starts a check. The request is validated before anything else
// (idvbridge.ErrInvalid): the idvbridge rules, a step-up or recovery
// reference that is the sandbox's, and a ReturnURL, when set, that is an
// absolute http(s) URL. A reference that does not exist or belongs to
// another user is not refused here, as at the vendor: the check starts and
// can only end declined (or abandoned, error, expired), never passed.
//
// The check has a CaptureURL (Handler's capture page) and no SDKToken: the
// sandbox has no native SDK, so a native app opens CaptureURL in a browser
// tab instead.
func (p *Provider) Start(ctx context.Context, req idvbridge.StartRequest) (idvbridge.Check, error) {
	if err := validateStart(req); err != nil {
		return idvbridge.Check{}, err
	}
	if err := ctx.Err(); err != nil {
		return idvbridge.Check{}, fmt.Errorf("sandbox: start: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if len(p.runs) >= p.cfg.MaxRuns && !p.evictRunLocked(now) {
		return idvbridge.Check{}, fmt.Errorf("%w: sandbox holds %d pending runs (MaxRuns); try again when some finish or expire", idvbridge.ErrUnavailable, len(p.runs))
	}
	id, err := p.uuidLocked()
	if err != nil {
		return idvbridge.Check{}, err
	}
	csrf, err := p.tokenLocked(32)
	if err != nil {
		return idvbridge.Check{}, err
	}
	if _, dup := p.runs[id]; dup {
		// Only a broken Random repeats itself.
		return idvbridge.Check{}, fmt.Errorf("%w: sandbox: Random repeated run id %s", idvbridge.ErrUnavailable, id)
	}
	r := &run{
		id:         id,
		csrf:       csrf,
		journey:    req.Journey,
		userID:     req.UserID,
		ceremonyID: req.CeremonyID,
		returnURL:  req.ReturnURL,
		createdAt:  now,
		expiresAt:  now.Add(p.cfg.TTL),
		status:     idvbridge.StatusPending,
	}
	if req.Reference != nil {
		ref := *req.Reference
		r.ref = &ref
	}
	r.elem = p.runOrder.PushBack(r)
	p.runs[id] = r
	p.log.Info("sandbox check started", "run_id", id, "journey", req.Journey, "expires_at", r.expiresAt)
	return idvbridge.Check{
		Provider:   Name,
		RunID:      id,
		Journey:    r.journey,
		UserID:     r.userID,
		CeremonyID: r.ceremonyID,
		CaptureURL: p.captureURL(id),
		ExpiresAt:  r.expiresAt,
	}, nil
}

func validateStart(req idvbridge.StartRequest) error {
	errs := []error{req.Validate()}
	if req.Reference != nil && req.Reference.Provider != Name {
		errs = append(errs, fmt.Errorf("%w: reference of provider %q, want %q", idvbridge.ErrInvalid, req.Reference.Provider, Name))
	}
	if req.ReturnURL != "" {
		if err := checkReturnURL(req.ReturnURL); err != nil {
			errs = append(errs, fmt.Errorf("%w: return URL %w", idvbridge.ErrInvalid, err))
		}
	}
	return errors.Join(errs...)
}

// checkReturnURL accepts an absolute http(s) URL without user info or
// fragment: the capture page redirects to it verbatim, and its origin goes
// into the page's Content-Security-Policy.
func checkReturnURL(s string) error {
	if len(s) > maxReturnURL {
		return fmt.Errorf("is longer than %d bytes", maxReturnURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must be an absolute http or https URL")
	case u.Host == "" || originOf(u) == "":
		return errors.New("must name a valid host")
	case u.User != nil || u.Fragment != "":
		return errors.New("must not have user info or a fragment")
	}
	return nil
}

// Fetch returns the run's current outcome: pending until a choice is made
// on the capture page (or by Complete), failed with ReasonExpired once the
// TTL has passed without one. An unknown run (never started, evicted, or
// forgotten by a restart) is idvbridge.ErrNotFound.
func (p *Provider) Fetch(ctx context.Context, runID string) (idvbridge.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return idvbridge.Outcome{}, fmt.Errorf("sandbox: fetch: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.runLocked(runID)
	if err != nil {
		return idvbridge.Outcome{}, err
	}
	return r.outcome(), nil
}

// DeleteReference forgets a reference: every check against it from now on,
// including those already started, ends declined if the tester picks Pass.
// Deleting an absent reference is not an error; another provider's
// reference or an empty id is idvbridge.ErrInvalid.
func (p *Provider) DeleteReference(ctx context.Context, ref idvbridge.Reference) error {
	if ref.Provider != Name {
		return fmt.Errorf("%w: reference of provider %q, want %q", idvbridge.ErrInvalid, ref.Provider, Name)
	}
	if ref.ID == "" {
		return fmt.Errorf("%w: reference id is empty", idvbridge.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: delete reference: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.refs[ref.ID]; ok {
		p.refOrder.Remove(e.elem)
		delete(p.refs, ref.ID)
		p.log.Info("sandbox reference deleted", "reference_id", ref.ID)
	}
	return nil
}

// Choice is the outcome a tester picks for a run: a button on the capture
// page, or an argument to Complete.
type Choice string

// Choices. Each ends a run with exactly one Status and Reason (Want); only
// ChoicePass can pass, and only for an enrollment or a step-up or recovery
// whose reference is enrolled for the run's user.
const (
	ChoicePass      Choice = "pass"
	ChoiceDeclined  Choice = "declined"
	ChoiceReview    Choice = "review"
	ChoiceAbandoned Choice = "abandoned"
	ChoiceError     Choice = "error"
	ChoiceExpired   Choice = "expired"
)

// Choices returns every Choice in the order the capture page shows them.
func Choices() []Choice {
	return []Choice{ChoicePass, ChoiceDeclined, ChoiceReview, ChoiceAbandoned, ChoiceError, ChoiceExpired}
}

// Want returns the Status and Reason a choice reports (before the
// reference check that turns an unmatched Pass into a decline), and false
// for an unknown choice.
func (c Choice) Want() (idvbridge.Status, idvbridge.Reason, bool) {
	switch c {
	case ChoicePass:
		return idvbridge.StatusPassed, idvbridge.ReasonNone, true
	case ChoiceDeclined:
		return idvbridge.StatusFailed, idvbridge.ReasonDeclined, true
	case ChoiceReview:
		return idvbridge.StatusFailed, idvbridge.ReasonReview, true
	case ChoiceAbandoned:
		return idvbridge.StatusFailed, idvbridge.ReasonAbandoned, true
	case ChoiceError:
		return idvbridge.StatusFailed, idvbridge.ReasonError, true
	case ChoiceExpired:
		return idvbridge.StatusFailed, idvbridge.ReasonExpired, true
	}
	return "", "", false
}

// Complete ends a pending run with choice, as the capture page's buttons
// do, and returns the outcome it recorded; tests and harnesses call it
// directly. A passed enrollment establishes a new reference for the run's
// user. A passed step-up or recovery whose reference is absent (never
// enrolled, deleted, evicted) or enrolled for another user is recorded as
// declined. An unknown run is idvbridge.ErrNotFound, an unknown choice
// idvbridge.ErrInvalid, and a run that already finished ErrFinished. If
// Config.Notify is set it receives the notification before Complete
// returns.
func (p *Provider) Complete(ctx context.Context, runID string, choice Choice) (idvbridge.Outcome, error) {
	status, reason, ok := choice.Want()
	if !ok {
		return idvbridge.Outcome{}, fmt.Errorf("%w: unknown choice %q", idvbridge.ErrInvalid, choice)
	}
	o, err := p.complete(runID, status, reason)
	if err != nil {
		return idvbridge.Outcome{}, err
	}
	if p.cfg.Notify != nil {
		header, body := p.notification(o)
		if err := p.cfg.Notify(ctx, header, body); err != nil {
			p.log.WarnContext(ctx, "sandbox notification not delivered; the outcome is still available by fetch", "run_id", runID, "error", err)
		}
	}
	return o, nil
}

func (p *Provider) complete(runID string, status idvbridge.Status, reason idvbridge.Reason) (idvbridge.Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.runLocked(runID)
	if err != nil {
		return idvbridge.Outcome{}, err
	}
	if r.status != idvbridge.StatusPending {
		return idvbridge.Outcome{}, fmt.Errorf("%w: run %s is %s (%s)", ErrFinished, runID, r.status, r.reason)
	}
	now := p.now()
	switch {
	case r.journey == idvbridge.JourneyEnrollment && status == idvbridge.StatusPassed:
		id, err := p.uuidLocked()
		if err != nil {
			return idvbridge.Outcome{}, err
		}
		if _, dup := p.refs[id]; dup {
			return idvbridge.Outcome{}, fmt.Errorf("%w: sandbox: Random repeated reference id %s", idvbridge.ErrUnavailable, id)
		}
		for len(p.refs) >= p.cfg.MaxReferences {
			old := p.refOrder.Remove(p.refOrder.Front()).(*reference) //nolint:forcetypeassert // the list holds only *reference
			delete(p.refs, old.id)
			p.log.Warn("sandbox reference evicted (MaxReferences reached): checks against it will decline", "reference_id", old.id)
		}
		ref := &reference{id: id, userID: r.userID}
		ref.elem = p.refOrder.PushBack(ref)
		p.refs[id] = ref
		r.outRef = &idvbridge.Reference{Provider: Name, ID: id}
	case r.journey != idvbridge.JourneyEnrollment:
		if status == idvbridge.StatusPassed && !p.enrolledLocked(r) {
			status, reason = idvbridge.StatusFailed, idvbridge.ReasonDeclined
			p.log.Info("sandbox check declined despite Pass: its reference is not enrolled for this user", "run_id", runID)
		}
		ref := *r.ref
		r.outRef = &ref
	}
	r.status, r.reason, r.completedAt = status, reason, now
	p.log.Info("sandbox check finished", "run_id", runID, "journey", r.journey, "status", status, "reason", reason)
	return r.outcome(), nil
}

// enrolledLocked reports whether a step-up or recovery run's reference is
// enrolled for the run's user.
func (p *Provider) enrolledLocked(r *run) bool {
	if r.ref == nil {
		return false
	}
	e, ok := p.refs[r.ref.ID]
	return ok && e.userID == r.userID
}

// runLocked returns the run, moved to expired if its time is up.
func (p *Provider) runLocked(runID string) (*run, error) {
	r, ok := p.runs[runID]
	if !ok {
		return nil, fmt.Errorf("%w: sandbox run %q", idvbridge.ErrNotFound, runID)
	}
	p.settleLocked(r, p.now())
	return r, nil
}

// settleLocked expires a pending run whose time is up.
func (p *Provider) settleLocked(r *run, now time.Time) {
	if r.status == idvbridge.StatusPending && !now.Before(r.expiresAt) {
		r.status, r.reason, r.completedAt = idvbridge.StatusFailed, idvbridge.ReasonExpired, r.expiresAt
		if r.journey != idvbridge.JourneyEnrollment {
			ref := *r.ref
			r.outRef = &ref
		}
		p.log.Info("sandbox check expired", "run_id", r.id, "journey", r.journey)
	}
}

// evictRunLocked removes the oldest run that is no longer pending and
// reports whether it found one.
func (p *Provider) evictRunLocked(now time.Time) bool {
	for e := p.runOrder.Front(); e != nil; e = e.Next() {
		r := e.Value.(*run) //nolint:forcetypeassert // the list holds only *run
		p.settleLocked(r, now)
		if r.status != idvbridge.StatusPending {
			p.runOrder.Remove(e)
			delete(p.runs, r.id)
			return true
		}
	}
	return false
}

// outcome returns the run's outcome; its Reference is a copy.
func (r *run) outcome() idvbridge.Outcome {
	o := idvbridge.Outcome{
		Provider:    Name,
		RunID:       r.id,
		UserID:      r.userID,
		CeremonyID:  r.ceremonyID,
		Status:      r.status,
		Reason:      r.reason,
		CompletedAt: r.completedAt,
	}
	if r.outRef != nil {
		ref := *r.outRef
		o.Reference = &ref
	}
	return o
}

func (p *Provider) captureURL(runID string) string {
	return p.baseStr + "/capture/" + runID
}

// now returns the clock's time in UTC without a monotonic reading, so
// outcomes compare equal after a trip through JSON.
func (p *Provider) now() time.Time { return p.cfg.Now().UTC().Round(0) }

// uuidLocked returns a random version 4 UUID, the shape of the vendor's run
// ids.
func (p *Provider) uuidLocked() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(p.cfg.Random, b[:]); err != nil {
		return "", fmt.Errorf("%w: sandbox: read Random: %w", idvbridge.ErrUnavailable, err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// tokenLocked returns n random bytes, base64url without padding.
func (p *Provider) tokenLocked(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.cfg.Random, b); err != nil {
		return "", fmt.Errorf("%w: sandbox: read Random: %w", idvbridge.ErrUnavailable, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
