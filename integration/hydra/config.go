package hydra

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultEnrollmentScope = "passkey.enroll"
	DefaultApprovalScope   = "passkey.approvals"
	DefaultRememberFor     = time.Hour
	// DefaultOperatorRolesClaim is the ID-token claim of operator roles.
	DefaultOperatorRolesClaim = "roles"
	defaultHTTPTimeout        = 10 * time.Second
)

// ErrInvalidConfig is wrapped by every configuration error New reports.
var ErrInvalidConfig = errors.New("invalid hydra login provider config")

// Config configures the login-and-consent provider. New validates a copy; the
// caller's value is never modified.
type Config struct {
	// PublicURL is where browsers reach this provider, e.g.
	// http://localhost:8081 (a path prefix is allowed). Enrollment links are
	// built from it and the CSRF cookie is scoped to it. Required.
	PublicURL string
	// HydraAdminURL is the base URL of Hydra's admin API, without the /admin
	// prefix the client adds itself (e.g. http://127.0.0.1:4445). Required.
	HydraAdminURL string
	// FirstPartyClients are OAuth client ids whose consent is granted
	// without asking the user.
	FirstPartyClients []string
	// EnrollmentScope is the scope an access token needs to start an
	// enrollment (POST /api/v1/enrollments). Default "passkey.enroll".
	EnrollmentScope string
	// ApprovalScope is the scope an access token needs to verify a stored
	// transaction approval again (GET /api/v1/approvals/{id}). Default
	// "passkey.approvals".
	ApprovalScope string
	// OperatorClients are the OAuth client ids of the operator dashboard
	// (adminui). Only in ID tokens issued to them does consent add the
	// OperatorRolesClaim of a subject listed in OperatorRoles; every other
	// client's tokens never carry it.
	OperatorClients []string
	// OperatorRoles maps a subject (the user's external id) to the values
	// of OperatorRolesClaim, for when Hydra is the organisation's identity
	// provider (make run's demo operators).
	OperatorRoles map[string][]string
	// OperatorRolesClaim names the ID-token claim. Default "roles".
	OperatorRolesClaim string
	// Sandbox says the identity checks are the development sandbox's: every
	// page then carries a visible SANDBOX banner (issue 3; production mode
	// refuses the sandbox at start).
	Sandbox bool
	// RememberFor is Hydra's remember_for on accepted logins and consents
	// when the authenticator does not say otherwise. Default one hour.
	RememberFor time.Duration
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
	// HTTPClient calls Hydra's admin API. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ObserveRequest, when set, is called once per request after the
	// response, for metrics (internal/metrics). route is the pattern of the
	// route that served it, such as "/login" or "/api/v1/approvals/{id}"
	// (doc.go's table), or RouteOther when none did: never the raw path,
	// which may carry ids and tokens. method is the request's method as
	// sent; status the response's status code. Nil observes nothing.
	ObserveRequest func(route, method string, status int, elapsed time.Duration)
	// ObserveLogin, when set, is called once per login request Hydra
	// accepted ("accepted", the acr granted, "") or rejected ("rejected",
	// "", the OAuth error code) at this provider's word, for metrics. Nil
	// observes nothing.
	ObserveLogin func(result, acr, errorCode string)
}

// normalize validates c (a copy), fills in defaults and reports every problem
// at once, each naming its field. It also returns PublicURL parsed.
func (c Config) normalize() (Config, *url.URL, error) {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...)))
	}

	public, problem := parseBaseURL(c.PublicURL)
	if problem != "" {
		fail("PublicURL", "%s", problem)
	} else {
		c.PublicURL = public.String()
	}
	if u, problem := parseBaseURL(c.HydraAdminURL); problem != "" {
		fail("HydraAdminURL", "%s", problem)
	} else if strings.HasSuffix(u.Path, "/admin") {
		fail("HydraAdminURL", "must not end in /admin: the client adds the prefix to every path")
	} else {
		c.HydraAdminURL = u.String()
	}

	c.FirstPartyClients = slices.Clone(c.FirstPartyClients)
	for i, id := range c.FirstPartyClients {
		if strings.TrimSpace(id) == "" {
			fail(fmt.Sprintf("FirstPartyClients[%d]", i), "must not be empty")
		}
	}

	c.OperatorClients = slices.Clone(c.OperatorClients)
	for i, id := range c.OperatorClients {
		if strings.TrimSpace(id) == "" {
			fail(fmt.Sprintf("OperatorClients[%d]", i), "must not be empty")
		}
	}
	roles := make(map[string][]string, len(c.OperatorRoles))
	for subject, values := range c.OperatorRoles {
		if subject == "" {
			fail("OperatorRoles", "has an empty subject")
		}
		if len(values) == 0 || slices.Contains(values, "") {
			fail(fmt.Sprintf("OperatorRoles[%q]", subject), "must list non-empty role values")
		}
		roles[subject] = slices.Clone(values)
	}
	c.OperatorRoles = roles
	switch {
	case c.OperatorRolesClaim == "":
		c.OperatorRolesClaim = DefaultOperatorRolesClaim
	case reservedClaims[c.OperatorRolesClaim]:
		fail("OperatorRolesClaim", "%q is a claim Hydra or this provider sets", c.OperatorRolesClaim)
	}

	if c.EnrollmentScope == "" {
		c.EnrollmentScope = DefaultEnrollmentScope
	} else if !validScopeToken(c.EnrollmentScope) {
		fail("EnrollmentScope", "%q is not a single RFC 6749 §3.3 scope token", c.EnrollmentScope)
	}

	if c.ApprovalScope == "" {
		c.ApprovalScope = DefaultApprovalScope
	} else if !validScopeToken(c.ApprovalScope) {
		fail("ApprovalScope", "%q is not a single RFC 6749 §3.3 scope token", c.ApprovalScope)
	}

	switch {
	case c.RememberFor == 0:
		c.RememberFor = DefaultRememberFor
	case c.RememberFor < time.Second:
		fail("RememberFor", "must be at least one second, got %s", c.RememberFor)
	}

	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, public, errors.Join(errs...)
}

// reservedClaims may not be the operator roles claim: Hydra sets them, or
// consent does for approvals.
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"auth_time": true, "acr": true, "amr": true, "nonce": true, "at_hash": true, "c_hash": true, "sid": true,
	claimAuthorizationDetails: true, claimDetailsHash: true, claimApprovalID: true,
}

// parseBaseURL parses an absolute http(s) URL without query, fragment or
// user info, and drops a trailing slash. problem says what is wrong.
func parseBaseURL(raw string) (u *url.URL, problem string) {
	if raw == "" {
		return nil, "is required"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("scheme must be http or https, got %q", u.Scheme)
	case u.Host == "":
		return nil, "must be an absolute URL with a host"
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, "must not contain user info, a query or a fragment"
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, ""
}

// validScopeToken reports whether s is one scope-token of RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x21 || b == 0x22 || b == 0x5C || b > 0x7E {
			return false
		}
	}
	return true
}
