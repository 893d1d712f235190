package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Defaults of Config's zero values.
const (
	DefaultMaxAttempts  = 12
	DefaultMaxAge       = 24 * time.Hour
	DefaultBaseDelay    = 5 * time.Second
	DefaultMaxDelay     = time.Hour
	DefaultTimeout      = 10 * time.Second
	DefaultPollInterval = time.Second
	DefaultBatchSize    = 20
)

// Store is what a Deliverer needs of the durable store; an
// authenticator.Store is one.
type Store interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]authenticator.Delivery, error)
	SettleDelivery(ctx context.Context, id int64, status authenticator.DeliveryStatus, next time.Time, lastError string, at time.Time) error
}

// Endpoint is a relying party's webhook receiver.
type Endpoint struct {
	URL    string // what deliveries name as their Endpoint
	Secret []byte // the HMAC key of X-BP-Signature, shared with the receiver
}

// Config configures a Deliverer. Zero durations and counts take the
// defaults above.
type Config struct {
	Endpoints    []Endpoint
	MaxAttempts  int           // give up (dead letter) after this many attempts
	MaxAge       time.Duration // … or once the delivery is this old
	BaseDelay    time.Duration // the first retry waits up to this long
	MaxDelay     time.Duration // no retry waits longer
	Timeout      time.Duration // bound on one request
	Lease        time.Duration // a claimed delivery is due again after this; default Timeout + 30s
	PollInterval time.Duration // how often an idle deliverer looks for due deliveries
	BatchSize    int           // deliveries claimed at once, at most authenticator.MaxPageSize
}

// Doer sends an HTTP request; *http.Client is one.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Option customises a Deliverer.
type Option func(*Deliverer)

// WithHTTPClient sets the HTTP client (default: one that follows no
// redirects, so a 3xx is a failure like any other non-2xx answer).
func WithHTTPClient(c Doer) Option { return func(d *Deliverer) { d.client = c } }

// WithClock sets the clock (default: time.Now).
func WithClock(now func() time.Time) Option { return func(d *Deliverer) { d.now = now } }

// WithRandom sets the jitter source: it returns a uniform value in [0, n)
// for n > 0 (default: crypto/rand).
func WithRandom(r func(n int64) int64) Option { return func(d *Deliverer) { d.rand = r } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(d *Deliverer) { d.log = l } }

// Deliverer sends queued deliveries. Start runs it in the background;
// RunOnce is one round, for tests and for callers with their own loop.
type Deliverer struct {
	cfg       Config
	endpoints map[string]Endpoint
	store     Store
	client    Doer
	now       func() time.Time
	rand      func(n int64) int64
	log       *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// ErrInvalidConfig is wrapped by New's validation errors.
var ErrInvalidConfig = errors.New("invalid webhook config")

// New validates cfg and returns a Deliverer over st.
func New(cfg Config, st Store, opts ...Option) (*Deliverer, error) {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.MaxAge, DefaultMaxAge)
	def(&cfg.BaseDelay, DefaultBaseDelay)
	def(&cfg.MaxDelay, DefaultMaxDelay)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.Lease, cfg.Timeout+30*time.Second)
	def(&cfg.PollInterval, DefaultPollInterval)
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	for name, v := range map[string]time.Duration{"MaxAge": cfg.MaxAge, "BaseDelay": cfg.BaseDelay, "MaxDelay": cfg.MaxDelay,
		"Timeout": cfg.Timeout, "Lease": cfg.Lease, "PollInterval": cfg.PollInterval} {
		if v < 0 {
			bad("%s %v is negative", name, v)
		}
	}
	if cfg.Lease <= cfg.Timeout {
		bad("Lease %v must exceed Timeout %v, or a slow attempt's delivery is claimed again while it runs", cfg.Lease, cfg.Timeout)
	}
	if cfg.MaxAttempts < 1 {
		bad("MaxAttempts %d is less than 1", cfg.MaxAttempts)
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > authenticator.MaxPageSize {
		bad("BatchSize %d is outside 1..%d", cfg.BatchSize, authenticator.MaxPageSize)
	}
	d := &Deliverer{cfg: cfg, endpoints: map[string]Endpoint{}, store: st, now: time.Now, rand: cryptoRand,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		log:    slog.New(slog.DiscardHandler)}
	for i, ep := range cfg.Endpoints {
		if ep.URL == "" || len(ep.Secret) == 0 {
			bad("endpoint %d needs a URL and a secret", i)
		}
		if _, dup := d.endpoints[ep.URL]; dup {
			bad("endpoint %q is listed twice", ep.URL)
		}
		d.endpoints[ep.URL] = ep
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

// cryptoRand is WithRandom's default.
func cryptoRand(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		return n - 1 // never: crypto/rand does not fail; wait the longest
	}
	return v.Int64()
}

// Payload is the JSON body of a delivery (docs/events.md).
type Payload struct {
	ID           int64             `json:"id"`   // the event's id: the same on every retry and endpoint
	Type         string            `json:"type"` // such as credential.revoked
	User         string            `json:"user"` // the RP's external user id (sub)
	CredentialID string            `json:"credential_id,omitempty"`
	At           time.Time         `json:"at"`
	Detail       map[string]string `json:"detail"`
}

// NewPayload is e as delivered; the credential id is base64url without
// padding, as WebAuthn writes it.
func NewPayload(e authenticator.Event) Payload {
	p := Payload{ID: e.ID, Type: string(e.Type), User: e.UserExternalID, At: e.At.UTC(), Detail: e.Detail}
	if len(e.CredentialID) > 0 {
		p.CredentialID = base64.RawURLEncoding.EncodeToString(e.CredentialID)
	}
	if p.Detail == nil {
		p.Detail = map[string]string{}
	}
	return p
}

// Start runs rounds in the background until Close or ctx ends.
func (d *Deliverer) Start(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		return
	}
	ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.done = make(chan struct{})
	go d.loop(ctx, d.done)
}

// Close stops a started Deliverer and waits for its round in flight; a
// delivery it leaves unsettled is claimed again after its lease.
func (d *Deliverer) Close() error {
	d.mu.Lock()
	cancel, done := d.cancel, d.done
	d.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

func (d *Deliverer) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "webhook round", "err", err)
		}
		wait := d.cfg.PollInterval
		if n == d.cfg.BatchSize {
			wait = 0 // more may be due
		}
		t.Reset(wait)
	}
}

// RunOnce claims the deliveries due now (at most BatchSize), attempts each
// and settles it; it returns how many it claimed.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	claimed, err := d.store.ClaimDeliveries(ctx, d.now(), d.cfg.Lease, d.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("claim deliveries: %w", err)
	}
	var wg sync.WaitGroup
	for _, dl := range claimed {
		wg.Go(func() { d.deliver(ctx, dl) })
	}
	wg.Wait()
	return len(claimed), nil
}

// deliver makes one attempt at dl and settles it.
func (d *Deliverer) deliver(ctx context.Context, dl authenticator.Delivery) {
	log := d.log.With("delivery_id", dl.ID, "event_id", dl.EventID, "event_type", dl.Event.Type, "endpoint", dl.Endpoint, "attempt", dl.Attempts)
	ep, ok := d.endpoints[dl.Endpoint]
	if !ok {
		d.settle(ctx, log, dl, authenticator.DeliveryDead, time.Time{}, "the endpoint is no longer configured")
		return
	}
	failure := d.attempt(ctx, ep, dl)
	if failure != "" && ctx.Err() != nil {
		return // stopping: the lease brings the delivery back, this attempt unjudged
	}
	if failure == "" {
		d.settle(ctx, log, dl, authenticator.DeliveryDelivered, time.Time{}, "")
		return
	}
	now := d.now()
	if dl.Attempts >= d.cfg.MaxAttempts || now.Sub(dl.CreatedAt) >= d.cfg.MaxAge {
		d.settle(ctx, log, dl, authenticator.DeliveryDead, time.Time{},
			fmt.Sprintf("gave up after %d attempts: %s", dl.Attempts, failure))
		return
	}
	d.settle(ctx, log, dl, authenticator.DeliveryPending, now.Add(d.backoff(dl.Attempts)), failure)
}

// attempt POSTs dl's event to ep and returns why it failed, or "".
func (d *Deliverer) attempt(ctx context.Context, ep Endpoint, dl authenticator.Delivery) string {
	body, err := json.Marshal(NewPayload(dl.Event))
	if err != nil {
		return "encode: " + err.Error()
	}
	ts := d.now().Unix()
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return "request: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "biometric-passkey-webhook/1")
	req.Header.Set(HeaderEventID, strconv.FormatInt(dl.EventID, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(ep.Secret, ts, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "status " + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// backoff is the wait before the retry after attempt n (1, 2, …):
// exponential, capped at MaxDelay, with full jitter (a uniform value up to
// the cap), so receivers recovering from an outage are not hit by every
// retry at once.
func (d *Deliverer) backoff(n int) time.Duration {
	ceil := d.cfg.MaxDelay
	if n-1 < 40 {
		if c := d.cfg.BaseDelay << (n - 1); c > 0 && c < ceil {
			ceil = c
		}
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(d.rand(int64(ceil) + 1))
}

// settle records an attempt's outcome. A settle that finds the delivery no
// longer pending means its lease ran out and another claimer took it: the
// receiver may see the event twice, which X-BP-Event-Id lets it ignore.
func (d *Deliverer) settle(ctx context.Context, log *slog.Logger, dl authenticator.Delivery, status authenticator.DeliveryStatus, next time.Time, failure string) {
	// Settle even when ctx ended mid-attempt (Close): the outcome is known.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := d.store.SettleDelivery(sctx, dl.ID, status, next, failure, d.now())
	switch {
	case errors.Is(err, authenticator.ErrNotFound):
		log.WarnContext(ctx, "webhook delivery settled elsewhere (lease expired)", "status", status)
	case err != nil:
		log.ErrorContext(ctx, "webhook settle", "status", status, "err", err)
	case status == authenticator.DeliveryDead:
		log.WarnContext(ctx, "webhook dead-lettered", "err", failure)
	case status == authenticator.DeliveryPending:
		log.InfoContext(ctx, "webhook attempt failed; will retry", "err", failure, "next_attempt_at", next)
	default:
		log.DebugContext(ctx, "webhook delivered")
	}
}
