package acr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RequirementFunc says what one request needs. Its error refuses the
// request (see Enforcer).
type RequirementFunc func(r *http.Request) (AuthRequirement, error)

// Static returns a RequirementFunc that needs req for every request.
func Static(req AuthRequirement) RequirementFunc {
	return func(*http.Request) (AuthRequirement, error) { return req, nil }
}

// For returns a RequirementFunc that asks the policy about the action, with
// the amount amount extracts from the request (amount may be nil for actions
// without thresholds; so may the *Amount it returns). An error from amount
// refuses the request as a requirement failure: 403 if it wraps
// ErrInvalidAmount (the client sent a malformed amount), else 500.
func (p *Policy) For(action string, amount func(*http.Request) (*Amount, error)) RequirementFunc {
	return func(r *http.Request) (AuthRequirement, error) {
		var a *Amount
		if amount != nil {
			var err error
			if a, err = amount(r); err != nil {
				return AuthRequirement{}, err
			}
		}
		return p.Requirement(action, a)
	}
}

// Enforcer checks, in a resource server, that the authentication behind each
// request's access token meets what the request needs, and otherwise answers
// with the challenge that tells the client what to get (RFC 9470). Build one
// per ladder and token validator; it is safe for concurrent use.
//
// Answers, none of which lets the request through:
//
//   - no access token (FactsFunc error wrapping ErrNoToken): 401 with
//     WWW-Authenticate: Bearer and no error code (RFC 6750 §3.1);
//   - an invalid token (any other FactsFunc error): 401 with
//     Bearer error="invalid_token" (RFC 6750 §3.1);
//   - the token cannot be checked now (ErrTokenCheckUnavailable): 503, so
//     the client retries instead of signing the user in again;
//   - the requirement cannot be determined: 403 access_denied when the
//     failure comes from the amount the client sent (ErrInvalidAmount,
//     ErrCurrencyNotCovered: no sign-in would help), otherwise 500
//     server_error (an unknown action, a missing amount or an invalid
//     requirement is the resource server's bug or misconfiguration, so it is
//     logged as an error and never read as "no requirement");
//   - a shortfall: 401 with Bearer error="insufficient_user_authentication",
//     error_description, acr_values and max_age (RFC 9470 §3).
//
// Every refusal has a small JSON body ({"error", "error_description", and
// for a shortfall "acr_values" and "max_age"}), Cache-Control: no-store, and
// a log line with the detail the body leaves out.
type Enforcer struct {
	ladder *Ladder
	facts  FactsFunc
	now    func() time.Time
	log    *slog.Logger
	realm  string
}

// Option configures an Enforcer.
type Option func(*Enforcer)

// WithClock sets the clock max_age is measured with (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(e *Enforcer) {
		if now != nil {
			e.now = now
		}
	}
}

// WithLogger sets the logger refusals are reported to (default: discard).
func WithLogger(log *slog.Logger) Option {
	return func(e *Enforcer) {
		if log != nil {
			e.log = log
		}
	}
}

// WithRealm adds realm="…" to every challenge (RFC 6750 §3).
func WithRealm(realm string) Option {
	return func(e *Enforcer) { e.realm = realm }
}

// NewEnforcer returns an Enforcer. A nil ladder or facts is a programming
// error and panics, as net/http does for a nil handler.
func NewEnforcer(ladder *Ladder, facts FactsFunc, opts ...Option) *Enforcer {
	if ladder == nil || facts == nil {
		panic("acr: NewEnforcer needs a ladder and a FactsFunc")
	}
	e := &Enforcer{ladder: ladder, facts: facts, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(e)
	}
	return e
}

// RequireAuth is NewEnforcer(ladder, facts, opts...).Require(need): a
// middleware that lets a request through only when its token meets need.
func RequireAuth(ladder *Ladder, facts FactsFunc, need RequirementFunc, opts ...Option) func(http.Handler) http.Handler {
	return NewEnforcer(ladder, facts, opts...).Require(need)
}

// Require returns a middleware that calls Authorize and, when it succeeds,
// the next handler with the token's facts in the request context
// (FactsFromContext). A nil need panics.
func (e *Enforcer) Require(need RequirementFunc) func(http.Handler) http.Handler {
	if need == nil {
		panic("acr: Require needs a RequirementFunc")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			facts, ok := e.Authorize(w, r, need)
			if !ok {
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), factsKey{}, facts)))
		})
	}
}

// Authorize checks the request's token against what need says the request
// needs. On success it returns the token's facts and true and writes
// nothing; otherwise it has written the answer (see Enforcer) and returns
// false, and the caller must stop. Handlers whose requirement depends on the
// body (the amount of a payment) call it after parsing:
//
//	facts, ok := enforcer.Authorize(w, r, func(*http.Request) (acr.AuthRequirement, error) {
//		return policy.Requirement("transfer", &payment.Amount)
//	})
//	if !ok {
//		return
//	}
func (e *Enforcer) Authorize(w http.ResponseWriter, r *http.Request, need RequirementFunc) (TokenFacts, bool) {
	facts, err := e.facts(r)
	switch {
	case errors.Is(err, ErrNoToken):
		e.log.InfoContext(r.Context(), "request without an access token", "path", r.URL.Path)
		e.write(w, http.StatusUnauthorized, Challenge{Realm: e.realm}.String(), errorBody{
			Description: "This resource needs a bearer access token",
		})
		return TokenFacts{}, false
	case errors.Is(err, ErrTokenCheckUnavailable):
		e.log.WarnContext(r.Context(), "access token cannot be checked", "path", r.URL.Path, "err", err)
		e.write(w, http.StatusServiceUnavailable, "", errorBody{
			Error: "temporarily_unavailable", Description: "The access token cannot be checked now; try again later",
		})
		return TokenFacts{}, false
	case err != nil:
		e.log.InfoContext(r.Context(), "invalid access token", "path", r.URL.Path, "err", err)
		c := Challenge{Realm: e.realm, Error: ErrorInvalidToken, ErrorDescription: "The access token is invalid or expired"}
		e.write(w, http.StatusUnauthorized, c.String(), errorBody{Error: c.Error, Description: c.ErrorDescription})
		return TokenFacts{}, false
	}
	req, err := need(r)
	if err == nil {
		err = e.ladder.Evaluate(req, facts, e.now())
	}
	var short *InsufficientAuthError
	switch {
	case err == nil:
		return facts, true
	case errors.As(err, &short):
		e.log.InfoContext(r.Context(), "insufficient user authentication", "path", r.URL.Path, "sub", facts.Subject,
			"acr", facts.ACR, "auth_time", facts.AuthTime, "required_acr", req.ACR, "max_age", req.MaxAge,
			"level_too_low", short.LevelTooLow, "too_old", short.TooOld)
		c := short.Challenge()
		c.Realm = e.realm
		body := errorBody{Error: c.Error, Description: c.ErrorDescription, ACRValues: strings.Join(c.ACRValues, " ")}
		if c.HasMaxAge {
			secs := int64(c.MaxAge / time.Second)
			body.MaxAge = &secs
		}
		e.write(w, http.StatusUnauthorized, c.String(), body)
	case errors.Is(err, ErrInvalidAmount), errors.Is(err, ErrCurrencyNotCovered):
		e.log.InfoContext(r.Context(), "no requirement for the amount", "path", r.URL.Path, "sub", facts.Subject, "err", err)
		e.write(w, http.StatusForbidden, "", errorBody{
			Error: "access_denied", Description: "This action cannot be authorized for the amount given",
		})
	default:
		e.log.ErrorContext(r.Context(), "cannot determine the authentication requirement", "path", r.URL.Path, "err", err)
		e.write(w, http.StatusInternalServerError, "", errorBody{
			Error: "server_error", Description: "The authentication requirement of this request is unknown",
		})
	}
	return TokenFacts{}, false
}

type factsKey struct{}

// FactsFromContext returns the facts Require put in the request context.
func FactsFromContext(ctx context.Context) (TokenFacts, bool) {
	f, ok := ctx.Value(factsKey{}).(TokenFacts)
	return f, ok
}

// errorBody is the JSON body of a refusal.
type errorBody struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description"`
	ACRValues   string `json:"acr_values,omitempty"`
	MaxAge      *int64 `json:"max_age,omitempty"`
}

func (e *Enforcer) write(w http.ResponseWriter, status int, challenge string, body errorBody) {
	b, err := json.Marshal(body)
	if err != nil { // a struct of strings and an int: cannot happen
		b = []byte(`{"error":"server_error"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away; nothing to do
}
