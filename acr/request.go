package acr

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is what a relying party asked of a login, as far as assurance goes.
type Request struct {
	ACRValues []string      // preference order (OIDC Core §3.1.2.1)
	Prompt    []string      // "none", "login", "consent", "select_account"
	MaxAge    time.Duration // meaningful only when HasMaxAge
	HasMaxAge bool
	// AuthorizationDetails are the RFC 9396 authorization_details of the
	// request_url, nil when it has none (transaction.go).
	AuthorizationDetails AuthorizationDetails
}

// ErrInvalidRequest is wrapped by ParseRequest errors: the authorize request
// itself is malformed.
var ErrInvalidRequest = errors.New("invalid authorization request")

// Maximum sizes; a longer input is rejected rather than processed.
const (
	maxRequestURL = 8 << 10
	maxACRValues  = 16
)

// ParseRequest builds a Request from the acr_values an identity server
// extracted and the original authorize URL. Hydra v2 puts acr_values in
// oidc_context but not max_age or prompt, which only the request_url carries
// (reference/hydra-and-oidc.md §1). acrValues wins over the URL's acr_values
// when both are present.
func ParseRequest(acrValues []string, requestURL string) (Request, error) {
	var r Request
	if len(requestURL) > maxRequestURL {
		return r, fmt.Errorf("%w: request_url is longer than %d bytes", ErrInvalidRequest, maxRequestURL)
	}
	var q url.Values
	if requestURL != "" {
		u, err := url.Parse(requestURL)
		if err != nil {
			return r, fmt.Errorf("%w: request_url: %w", ErrInvalidRequest, err)
		}
		if q, err = url.ParseQuery(u.RawQuery); err != nil {
			return r, fmt.Errorf("%w: request_url query: %w", ErrInvalidRequest, err)
		}
	}
	if len(acrValues) == 0 {
		acrValues = strings.Fields(q.Get("acr_values"))
	}
	for _, v := range acrValues {
		if v != "" && !slices.Contains(r.ACRValues, v) {
			r.ACRValues = append(r.ACRValues, v)
		}
	}
	if len(r.ACRValues) > maxACRValues {
		return Request{}, fmt.Errorf("%w: more than %d acr_values", ErrInvalidRequest, maxACRValues)
	}
	r.Prompt = strings.Fields(q.Get("prompt"))
	if slices.Contains(r.Prompt, "none") && len(r.Prompt) > 1 {
		return Request{}, fmt.Errorf("%w: prompt=none cannot be combined with other values (OIDC Core §3.1.2.1)", ErrInvalidRequest)
	}
	if q.Has("max_age") {
		n, err := strconv.ParseInt(q.Get("max_age"), 10, 64)
		if err != nil || n < 0 || n > int64((100*365*24*time.Hour)/time.Second) {
			return Request{}, fmt.Errorf("%w: max_age must be a non-negative number of seconds, got %q", ErrInvalidRequest, q.Get("max_age"))
		}
		r.MaxAge, r.HasMaxAge = time.Duration(n)*time.Second, true
	}
	if q.Has("authorization_details") {
		if len(q["authorization_details"]) > 1 {
			return Request{}, fmt.Errorf("%w: authorization_details given more than once", ErrInvalidRequest)
		}
		d, err := ParseAuthorizationDetails(q.Get("authorization_details"))
		if err != nil {
			return Request{}, err
		}
		r.AuthorizationDetails = d
	}
	return r, nil
}

// PromptIs reports whether the request carries the prompt value p.
func (r Request) PromptIs(p string) bool { return slices.Contains(r.Prompt, p) }
