package onfido

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Region is the Onfido region an account lives in; each has its own API
// host and the data stays in it.
//
// Specification: onfido-openapi-spec openapi.yaml, servers:
// https://api.{region}.onfido.com/v3.6 with region eu (default), us, ca.
type Region string

// Regions.
const (
	RegionEU Region = "eu"
	RegionUS Region = "us"
	RegionCA Region = "ca"
)

// APIVersion is the version of the Onfido API this adapter speaks.
const APIVersion = "v3.6"

// Defaults and limits. A zero Config field takes the default; values
// outside the limits are reported by New.
const (
	DefaultTimeout    = 10 * time.Second // per attempt
	DefaultLinkTTL    = 15 * time.Minute // how long a capture link (and so a check) lives
	DefaultMaxRetries = 3                // retries after the first attempt, on 429 and 5xx only
	// NoRetries as Config.MaxRetries turns retrying off.
	NoRetries = -1

	maxTimeout    = 5 * time.Minute
	minLinkTTL    = time.Minute
	maxLinkTTL    = 24 * time.Hour
	maxMaxRetries = 10
)

// Workflows names the Onfido Studio workflow each journey runs. Enrollment
// must store a biometric token for the run's customer user id; step-up and
// recovery must authenticate a live capture against that user's biometric
// tokens. Step-up and recovery may share a workflow; enrollment may not
// share one with either, because the journey of a run is decided by its
// workflow: an approved enrollment run must never count as a match.
type Workflows struct {
	Enrollment string
	StepUp     string
	Recovery   string
}

// Config configures a Provider. New validates a copy and reports every
// problem at once; the caller's value is never changed.
type Config struct {
	// APIToken authenticates every request
	// (Authorization: Token token=<APIToken>). Secret: never logged.
	APIToken string
	// Region selects the API host: eu (the default when empty), us or ca.
	Region Region
	// BaseURL overrides Region with a full base URL including the version
	// path, e.g. a local fake's "http://127.0.0.1:1234/v3.6". It must be
	// https, or http to a loopback address. Set Region or BaseURL, not both.
	BaseURL string
	// Workflows are the Studio workflow ids (UUIDs) per journey; all three
	// are required.
	Workflows Workflows
	// WebhookToken is the webhook's signing secret (the token Onfido shows
	// when the webhook is created). Secret: never logged.
	WebhookToken string
	// LinkTTL is how long a capture link lives; a run still awaiting the
	// user after it is reported expired. Default DefaultLinkTTL.
	LinkTTL time.Duration
	// HTTPClient sends the requests; default a new http.Client. Its Timeout
	// should be zero: Timeout below bounds each attempt.
	HTTPClient *http.Client
	// Timeout bounds each attempt (connect, send, read the answer).
	// Default DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times a request is retried after a 429 or 5xx
	// answer (or, for GET and DELETE, a transport failure). 0 means
	// DefaultMaxRetries; NoRetries turns retrying off.
	MaxRetries int
	// Logger receives request, retry and mapping logs; never a secret, a
	// request body or biometric data. Default: discard.
	Logger *slog.Logger
	// Now is the clock (link expiry, Retry-After dates). Default time.Now.
	Now func() time.Time
	// RandN returns a uniform random int64 in [0, n); it draws the backoff
	// jitter and must be safe for concurrent use. Default math/rand/v2.Int64N.
	RandN func(n int64) int64
	// Sleep waits d or until ctx is done (then it returns ctx's error).
	// Default a timer; tests inject one that records and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// LogValue keeps secrets out of logs when a Config is logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("api_token", redact(c.APIToken)),
		slog.String("region", string(c.Region)),
		slog.String("base_url", c.BaseURL),
		slog.String("workflow_enrollment", c.Workflows.Enrollment),
		slog.String("workflow_step_up", c.Workflows.StepUp),
		slog.String("workflow_recovery", c.Workflows.Recovery),
		slog.String("webhook_token", redact(c.WebhookToken)),
		slog.Duration("link_ttl", c.LinkTTL),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_retries", c.MaxRetries),
	)
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// baseURLFor returns the API base URL of a region.
func baseURLFor(r Region) (string, bool) {
	switch r {
	case RegionEU, RegionUS, RegionCA:
		return "https://api." + string(r) + ".onfido.com/" + APIVersion, true
	}
	return "", false
}

// validate returns a normalised copy of c (defaults filled in) and every
// problem found, each naming its field.
func (c Config) validate() (Config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("onfido: Config.%s: %s", field, fmt.Sprintf(format, args...)))
	}

	switch {
	case c.APIToken == "":
		bad("APIToken", "required")
	case strings.TrimSpace(c.APIToken) != c.APIToken || strings.ContainsFunc(c.APIToken, isControlOrSpace):
		bad("APIToken", "must not contain spaces or control characters") // the value is not echoed
	}

	switch {
	case c.BaseURL != "" && c.Region != "":
		bad("BaseURL", "set Region or BaseURL, not both")
	case c.BaseURL != "":
		if err := checkBaseURL(c.BaseURL); err != nil {
			bad("BaseURL", "%v", err)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	default:
		if c.Region == "" {
			c.Region = RegionEU
		}
		u, ok := baseURLFor(c.Region)
		if !ok {
			bad("Region", "%q is not one of eu, us, ca", c.Region)
		}
		c.BaseURL = u
	}

	for _, w := range []struct{ field, id string }{
		{"Workflows.Enrollment", c.Workflows.Enrollment},
		{"Workflows.StepUp", c.Workflows.StepUp},
		{"Workflows.Recovery", c.Workflows.Recovery},
	} {
		switch {
		case w.id == "":
			bad(w.field, "required")
		case !isUUID(w.id):
			bad(w.field, "%q is not a workflow id (a UUID)", w.id)
		}
	}
	if e := c.Workflows.Enrollment; e != "" && (e == c.Workflows.StepUp || e == c.Workflows.Recovery) {
		bad("Workflows.Enrollment", "must differ from the step-up and recovery workflows: an approved enrollment is not a biometric match")
	}

	switch {
	case c.WebhookToken == "":
		bad("WebhookToken", "required (the webhook's signing token)")
	case len(c.WebhookToken) < 16:
		bad("WebhookToken", "too short to be a webhook signing token (fewer than 16 bytes)")
	}

	switch {
	case c.LinkTTL == 0:
		c.LinkTTL = DefaultLinkTTL
	case c.LinkTTL < minLinkTTL || c.LinkTTL > maxLinkTTL:
		bad("LinkTTL", "%v is outside [%v, %v]", c.LinkTTL, minLinkTTL, maxLinkTTL)
	}
	switch {
	case c.Timeout == 0:
		c.Timeout = DefaultTimeout
	case c.Timeout < 0 || c.Timeout > maxTimeout:
		bad("Timeout", "%v is outside (0, %v]", c.Timeout, maxTimeout)
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries == NoRetries:
		c.MaxRetries = 0
	case c.MaxRetries < 0 || c.MaxRetries > maxMaxRetries:
		bad("MaxRetries", "%d is outside [0, %d] (or NoRetries)", c.MaxRetries, maxMaxRetries)
	}

	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RandN == nil {
		c.RandN = rand.Int64N
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	return c, errors.Join(errs...)
}

// checkBaseURL accepts https, or http to a loopback host (a local fake):
// the API token must never cross a network in clear text.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if !u.IsAbs() || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must be an absolute URL with a host and no user, query or fragment", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("%q must use https (http only to a loopback address)", raw)
	}
	return fmt.Errorf("%q must use https", raw)
}

func isControlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

// isUUID reports whether s has the 8-4-4-4-12 hex form the API uses for
// ids (format: uuid).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
