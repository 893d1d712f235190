package acr

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInsufficientAuthentication is matched (errors.Is) by every
// *InsufficientAuthError.
var ErrInsufficientAuthentication = errors.New(ErrorInsufficientUserAuthentication)

// ErrInvalidRequirement: an AuthRequirement names no level of the ladder or
// carries an unusable max_age. It is the resource server's mistake, not the
// client's.
var ErrInvalidRequirement = errors.New("invalid authentication requirement")

// InsufficientAuthError says that a token's authentication does not meet a
// requirement, and carries the RFC 9470 §3 challenge parameters that tell the
// client how to get one that does.
//
// The challenge always states the whole requirement, not just the part that
// failed: a client that re-authorizes with only max_age could come back with
// a fresh token at too low a level (and the reverse), and loop.
type InsufficientAuthError struct {
	ACRValues []string      // acr_values: the required level
	MaxAge    time.Duration // max_age, when HasMaxAge
	HasMaxAge bool
	// Description is the error_description: short, safe to show the client.
	Description string
	// LevelTooLow and TooOld say what failed, for logs and metrics.
	LevelTooLow, TooOld bool
}

func (e *InsufficientAuthError) Error() string {
	return ErrorInsufficientUserAuthentication + ": " + e.Description
}

// Is makes errors.Is(err, ErrInsufficientAuthentication) true.
func (e *InsufficientAuthError) Is(target error) bool {
	return target == ErrInsufficientAuthentication
}

// Challenge returns the Bearer challenge for the error (RFC 9470 §3), with
// the description reduced to the characters RFC 6750 §3 allows.
func (e *InsufficientAuthError) Challenge() Challenge {
	return Challenge{
		Error:            ErrorInsufficientUserAuthentication,
		ErrorDescription: sanitizeDescription(e.Description),
		ACRValues:        slices.Clone(e.ACRValues),
		MaxAge:           e.MaxAge,
		HasMaxAge:        e.HasMaxAge,
	}
}

// Evaluate checks a token's authentication against a requirement at time
// now. It returns nil when the token's acr satisfies req.ACR (Satisfies: an
// unknown or missing token acr, such as Hydra's "0", never does) and, when
// req.HasMaxAge, its auth_time is present and no more than req.MaxAge before
// now (RFC 9470 §3; an age of exactly MaxAge passes, as in OIDC Core
// §3.1.2.1). A shortfall is an *InsufficientAuthError; a requirement that
// names no level of the ladder, or a negative or fractional max_age, is
// ErrInvalidRequirement.
//
// An auth_time after now (clock skew) counts as age zero: the token's issuer
// vouches for it, and token validation is the caller's.
func (l *Ladder) Evaluate(req AuthRequirement, facts TokenFacts, now time.Time) error {
	if _, ok := l.Lookup(req.ACR); !ok {
		return fmt.Errorf("%w: acr %q is not on the ladder (%s)", ErrInvalidRequirement, req.ACR, l.describe())
	}
	if req.HasMaxAge && (req.MaxAge < 0 || req.MaxAge%time.Second != 0 || req.MaxAge > maxMaxAge) {
		return fmt.Errorf("%w: max_age must be a whole, non-negative number of seconds up to %s, got %s", ErrInvalidRequirement, maxMaxAgeText, req.MaxAge)
	}
	low := !l.Satisfies(facts.ACR, req.ACR)
	old := req.HasMaxAge && (facts.AuthTime.IsZero() || now.Sub(facts.AuthTime) > req.MaxAge)
	if !low && !old {
		return nil
	}
	e := &InsufficientAuthError{ACRValues: []string{req.ACR}, LevelTooLow: low, TooOld: old}
	if req.HasMaxAge {
		e.MaxAge, e.HasMaxAge = req.MaxAge, true
	}
	switch {
	case low && old:
		e.Description = "A higher and more recent authentication is required"
	case low:
		e.Description = "A higher authentication level is required"
	default:
		e.Description = "More recent authentication is required"
	}
	return e
}

// sanitizeDescription keeps the characters RFC 6750 §3 allows in
// error_description (%x20-21 / %x23-5B / %x5D-7E): a double quote becomes a
// single one, a backslash a slash, anything else outside the set "?".
func sanitizeDescription(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\':
			return '/'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}
