package acr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// TokenFacts is what a validated access token says about the
// authentication behind it.
type TokenFacts struct {
	ACR      string    // the acr claim; "" when absent
	AuthTime time.Time // the auth_time claim; zero when absent
	Subject  string    // the sub claim
}

// FactsFunc extracts TokenFacts from a request once the resource server has
// validated its access token in its own way (introspection, RFC 7662, or a
// JWT access token, RFC 9068). FactsFromClaims turns either's claims into
// TokenFacts.
//
// Its error decides the answer (see Enforcer): one wrapping ErrNoToken is a
// request without credentials, one wrapping ErrTokenCheckUnavailable a
// failure to check the token at all (the introspection endpoint is down);
// any other error means the token is invalid.
type FactsFunc func(r *http.Request) (TokenFacts, error)

// Errors a FactsFunc may wrap, and FactsFromClaims's.
var (
	// ErrNoToken: the request carries no access token (RFC 6750 §3.1: the
	// answer then has no error code).
	ErrNoToken = errors.New("no access token")
	// ErrTokenCheckUnavailable: the token could not be checked, say because
	// the introspection endpoint did not answer. The client should retry,
	// not sign in again.
	ErrTokenCheckUnavailable = errors.New("the access token cannot be checked now")
	// ErrInvalidClaims: the claims are not those of a usable token.
	ErrInvalidClaims = errors.New("invalid access-token claims")
)

// FactsFromClaims reads acr, auth_time and sub from the claims of a JWT
// access token or an introspection response (decoded by encoding/json, with
// or without UseNumber).
//
// RFC 9470 §6.1 and RFC 9068 §2.2.1 put acr and auth_time at the top level.
// Hydra v2 does not put them into access tokens at all: the login provider
// copies them into the consent session's access_token extras, which Hydra
// returns under "ext" (introspection and JWT access tokens alike), unless
// Hydra's oauth2.allowed_top_level_claims lists them:
//
//	oauth2:
//	  allowed_top_level_claims: [acr, auth_time]
//
// so both places are read. A claim found in both must agree. An
// introspection response with "active" other than true is refused. A missing
// acr or auth_time is not an error: such a token simply meets no level and no
// max_age (Evaluate).
func FactsFromClaims(claims map[string]any) (TokenFacts, error) {
	var f TokenFacts
	if claims == nil {
		return f, fmt.Errorf("%w: no claims", ErrInvalidClaims)
	}
	if active, ok := claims["active"]; ok && active != true {
		return f, fmt.Errorf("%w: the token is not active", ErrInvalidClaims)
	}
	var ext map[string]any
	if raw, ok := claims["ext"]; ok && raw != nil {
		if ext, ok = raw.(map[string]any); !ok {
			return f, fmt.Errorf("%w: ext is a %T, not an object", ErrInvalidClaims, raw)
		}
	}
	if v, ok := claims["sub"]; ok {
		s, isString := v.(string)
		if !isString {
			return f, fmt.Errorf("%w: sub is a %T, not a string", ErrInvalidClaims, v)
		}
		f.Subject = s
	}
	acrs, err := both(claims, ext, "acr", func(v any) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("a %T, not a string", v)
		}
		return s, nil
	})
	if err != nil {
		return TokenFacts{}, err
	}
	f.ACR = acrs
	if f.AuthTime, err = both(claims, ext, "auth_time", numericDate); err != nil {
		return TokenFacts{}, err
	}
	return f, nil
}

// both reads the claim from the top level and from ext, converted, and
// insists that they agree when both are present.
func both[T comparable](top, ext map[string]any, name string, conv func(any) (T, error)) (T, error) {
	var zero, got T
	found := false
	for i, claims := range []map[string]any{top, ext} {
		where := name
		if i == 1 {
			where = "ext." + name
		}
		raw, ok := claims[name]
		if !ok || raw == nil {
			continue
		}
		v, err := conv(raw)
		if err != nil {
			return zero, fmt.Errorf("%w: %s is %w", ErrInvalidClaims, where, err)
		}
		if found && v != got {
			return zero, fmt.Errorf("%w: %s and ext.%s disagree", ErrInvalidClaims, name, name)
		}
		got, found = v, true
	}
	return got, nil
}

// numericDate converts an RFC 7519 §2 NumericDate (seconds since the epoch,
// possibly fractional) to a time in UTC.
func numericDate(v any) (time.Time, error) {
	const max = 1 << 53 // beyond any date a token carries; keeps floats exact
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		if i, err := n.Int64(); err == nil {
			if i < 0 || i > max {
				return time.Time{}, fmt.Errorf("out of range: %d", i)
			}
			return time.Unix(i, 0).UTC(), nil
		}
		var err error
		if f, err = n.Float64(); err != nil {
			return time.Time{}, fmt.Errorf("not a number: %q", n.String())
		}
	case int64:
		f = float64(n)
	case int:
		f = float64(n)
	default:
		return time.Time{}, fmt.Errorf("a %T, not a number", v)
	}
	if math.IsNaN(f) || f < 0 || f > max {
		return time.Time{}, fmt.Errorf("out of range: %v", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
