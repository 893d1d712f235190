package acr_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// rsNow is the resource server's injected clock.
var rsNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// tokens are the access tokens the fake resource server knows, as the claims
// its own validation (introspection or JWT) would have produced.
var tokens = map[string]string{
	"routine":         `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:routine","auth_time":%d}}`,
	"routine-1m":      `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:routine","auth_time":%d}}`,
	"routine-top":     `{"sub":"alice","acr":"urn:biometric-passkey:acr:routine","auth_time":%d}`,
	"step-up-1m":      `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:step-up","auth_time":%d}}`,
	"step-up-5m":      `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:step-up","auth_time":%d}}`,
	"step-up-5m1s":    `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:step-up","auth_time":%d}}`,
	"step-up-no-time": `{"active":true,"sub":"alice","ext":{"acr":"urn:biometric-passkey:acr:step-up"}}`,
	"acr-zero":        `{"active":true,"sub":"alice","ext":{"acr":"0","auth_time":%d}}`,
	"inactive":        `{"active":false}`,
}

var tokenAge = map[string]time.Duration{
	"routine": 10 * time.Minute, "routine-1m": time.Minute, "routine-top": 10 * time.Minute, "step-up-1m": time.Minute,
	"step-up-5m": 5 * time.Minute, "step-up-5m1s": 5*time.Minute + time.Second, "acr-zero": time.Minute,
}

// facts is the resource server's FactsFunc: its own token check, then
// FactsFromClaims.
func facts(r *http.Request) (acr.TokenFacts, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return acr.TokenFacts{}, acr.ErrNoToken
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return acr.TokenFacts{}, errors.New("not a bearer token")
	}
	if tok == "introspection-down" {
		return acr.TokenFacts{}, fmt.Errorf("introspect: %w", acr.ErrTokenCheckUnavailable)
	}
	claims, ok := tokens[tok]
	if !ok {
		return acr.TokenFacts{}, errors.New("unknown token")
	}
	if strings.Contains(claims, "%d") {
		claims = fmt.Sprintf(claims, rsNow.Add(-tokenAge[tok]).Unix())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(claims), &m); err != nil {
		return acr.TokenFacts{}, err
	}
	return acr.FactsFromClaims(m)
}

// amountFromQuery reads ?amount=…&currency=… (a real handler would read its body).
func amountFromQuery(r *http.Request) (*acr.Amount, error) {
	q := r.URL.Query()
	if !q.Has("amount") {
		return nil, nil
	}
	return &acr.Amount{Value: q.Get("amount"), Currency: q.Get("currency")}, nil
}

// bank builds the demo resource server: the routes, the policy and the enforcer.
func bank(t *testing.T, opts ...acr.Option) http.Handler {
	t.Helper()
	ladder := acr.DefaultLadder()
	policy := bankPolicy(t)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	e := acr.NewEnforcer(ladder, facts, append([]acr.Option{acr.WithClock(func() time.Time { return rsNow }), acr.WithLogger(log)}, opts...)...)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, found := acr.FactsFromContext(r.Context())
		if !found {
			t.Errorf("%s: no facts in the context", r.URL)
		}
		fmt.Fprintf(w, "ok %s %s\n", f.Subject, f.ACR)
	})
	mux := http.NewServeMux()
	mux.Handle("/balance", e.Require(policy.For("view-balance", nil))(ok))
	mux.Handle("/transfer", e.Require(policy.For("transfer", amountFromQuery))(ok))
	mux.Handle("/close", e.Require(policy.For("close-account", nil))(ok))
	mux.Handle("/unknown-action", e.Require(policy.For("delete-bank", nil))(ok))
	mux.Handle("/bad-requirement", e.Require(acr.Static(acr.AuthRequirement{ACR: "urn:example:gold"}))(ok))
	mux.Handle("/amount-error", e.Require(policy.For("transfer", func(*http.Request) (*acr.Amount, error) {
		return nil, errors.New("cannot read the body")
	}))(ok))
	// The requirement depends on the body: the handler calls Authorize itself.
	mux.HandleFunc("/pay", func(w http.ResponseWriter, r *http.Request) {
		var p struct{ Amount acr.Amount }
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f, ok := e.Authorize(w, r, func(*http.Request) (acr.AuthRequirement, error) {
			return policy.Requirement("transfer", &p.Amount)
		})
		if !ok {
			return
		}
		fmt.Fprintf(w, "paid %s by %s\n", p.Amount, f.Subject)
	})
	return mux
}

// TestRequireAuth pins status, headers and body of each answer in
// testdata/resource/<case>.golden.
func TestRequireAuth(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		token, target, body string
		realm               string
		wantStatus          int
	}{
		"balance_routine":                     {token: "routine", target: "/balance", wantStatus: 200},
		"balance_routine_top_level_claims":    {token: "routine-top", target: "/balance", wantStatus: 200},
		"balance_no_token":                    {target: "/balance", wantStatus: 401},
		"balance_no_token_realm":              {target: "/balance", realm: `bank "demo" \ api`, wantStatus: 401},
		"balance_unknown_token":               {token: "forged", target: "/balance", wantStatus: 401},
		"balance_inactive_token":              {token: "inactive", target: "/balance", wantStatus: 401},
		"balance_introspection_down":          {token: "introspection-down", target: "/balance", wantStatus: 503},
		"balance_acr_zero":                    {token: "acr-zero", target: "/balance", wantStatus: 401},
		"transfer_at_threshold_routine":       {token: "routine", target: "/transfer?amount=1000.00&currency=EUR", wantStatus: 200},
		"transfer_above_threshold_routine":    {token: "routine", target: "/transfer?amount=1000.01&currency=EUR", wantStatus: 401},
		"transfer_above_threshold_routine_1m": {token: "routine-1m", target: "/transfer?amount=1000.01&currency=EUR", wantStatus: 401},
		"transfer_above_threshold_realm":      {token: "routine", target: "/transfer?amount=1000.01&currency=EUR", realm: "bank", wantStatus: 401},
		"transfer_above_threshold_step_up":    {token: "step-up-1m", target: "/transfer?amount=1000.01&currency=EUR", wantStatus: 200},
		"transfer_max_age_at_limit":           {token: "step-up-5m", target: "/transfer?amount=5000&currency=EUR", wantStatus: 200},
		"transfer_max_age_past_limit":         {token: "step-up-5m1s", target: "/transfer?amount=5000&currency=EUR", wantStatus: 401},
		"transfer_max_age_no_auth_time":       {token: "step-up-no-time", target: "/transfer?amount=5000&currency=EUR", wantStatus: 401},
		"transfer_large_needs_fresher":        {token: "step-up-5m", target: "/transfer?amount=20000&currency=EUR", wantStatus: 401},
		"transfer_large_routine_old":          {token: "routine", target: "/transfer?amount=20000&currency=EUR", wantStatus: 401},
		"transfer_currency_not_covered":       {token: "step-up-1m", target: "/transfer?amount=1&currency=GBP", wantStatus: 403},
		"transfer_malformed_amount":           {token: "step-up-1m", target: "/transfer?amount=1e9&currency=EUR", wantStatus: 403},
		"transfer_without_amount":             {token: "step-up-1m", target: "/transfer", wantStatus: 500},
		"transfer_amount_error":               {token: "step-up-1m", target: "/amount-error", wantStatus: 500},
		"transfer_no_token_before_policy":     {target: "/transfer?amount=1e9&currency=EUR", wantStatus: 401},
		"unknown_action":                      {token: "step-up-1m", target: "/unknown-action", wantStatus: 500},
		"bad_requirement":                     {token: "step-up-1m", target: "/bad-requirement", wantStatus: 500},
		"close_routine":                       {token: "routine", target: "/close", wantStatus: 401},
		"pay_body_small":                      {token: "routine", target: "/pay", body: `{"Amount":{"Value":"20","Currency":"EUR"}}`, wantStatus: 200},
		"pay_body_large":                      {token: "routine", target: "/pay", body: `{"Amount":{"Value":"2000","Currency":"EUR"}}`, wantStatus: 401},
		"pay_body_large_step_up":              {token: "step-up-1m", target: "/pay", body: `{"Amount":{"Value":"2000","Currency":"EUR"}}`, wantStatus: 200},
		"pay_body_currency_not_covered":       {token: "step-up-1m", target: "/pay", body: `{"Amount":{"Value":"2000","Currency":"JPY"}}`, wantStatus: 403},
		"balance_step_up_satisfies_routine":   {token: "step-up-1m", target: "/balance", wantStatus: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var opts []acr.Option
			if tc.realm != "" {
				opts = append(opts, acr.WithRealm(tc.realm))
			}
			h := bank(t, opts...)
			method := http.MethodGet
			if tc.body != "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, tc.target, strings.NewReader(tc.body))
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			res := w.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.wantStatus {
				t.Errorf("got status %d, want %d (body %s)", res.StatusCode, tc.wantStatus, body)
			}
			got := struct {
				Status          int      `json:"status"`
				WWWAuthenticate []string `json:"www_authenticate,omitempty"`
				ContentType     string   `json:"content_type,omitempty"`
				CacheControl    string   `json:"cache_control,omitempty"`
				Body            string   `json:"body"`
			}{res.StatusCode, res.Header.Values("WWW-Authenticate"), res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), string(body)}
			golden(t, "resource/"+name, got)
			if res.StatusCode != http.StatusOK {
				checkRefusal(t, res, body)
			}
		})
	}
}

// checkRefusal checks what a client relies on: the body is JSON, and a 401's
// challenge parses back to what the body says.
func checkRefusal(t *testing.T, res *http.Response, body []byte) {
	t.Helper()
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		ACRValues   string `json:"acr_values"`
		MaxAge      *int64 `json:"max_age"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	if res.StatusCode != http.StatusUnauthorized {
		if h := res.Header.Get("WWW-Authenticate"); h != "" {
			t.Errorf("status %d carries a challenge %q, want none", res.StatusCode, h)
		}
		return
	}
	c, err := acr.ParseChallenge(res.Header.Get("WWW-Authenticate"))
	if err != nil {
		t.Fatalf("ParseChallenge: %v", err)
	}
	var maxAge *int64
	if c.HasMaxAge {
		secs := int64(c.MaxAge / time.Second)
		maxAge = &secs
	}
	if diff := cmp.Diff(b.Error, c.Error); diff != "" {
		t.Errorf("error: body vs challenge:\n%s", diff)
	}
	if b.Error != "" && b.Description != c.ErrorDescription {
		t.Errorf("error_description: body %q, challenge %q", b.Description, c.ErrorDescription)
	}
	if got := strings.Join(c.ACRValues, " "); got != b.ACRValues {
		t.Errorf("acr_values: challenge %q, body %q", got, b.ACRValues)
	}
	if diff := cmp.Diff(b.MaxAge, maxAge); diff != "" {
		t.Errorf("max_age: body vs challenge:\n%s", diff)
	}
}

// TestRequireAuthUsesTheClock: the same token passes or fails max_age as the
// injected clock moves across the boundary.
func TestRequireAuthUsesTheClock(t *testing.T) {
	t.Parallel()
	authTime := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tok := func(*http.Request) (acr.TokenFacts, error) {
		return acr.TokenFacts{ACR: acr.StepUpACR, AuthTime: authTime, Subject: "alice"}, nil
	}
	need := acr.Static(acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: 60 * time.Second, HasMaxAge: true})
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		after time.Duration
		want  int
	}{
		{0, http.StatusNoContent},
		{59 * time.Second, http.StatusNoContent},
		{60 * time.Second, http.StatusNoContent},
		{60*time.Second + time.Millisecond, http.StatusUnauthorized},
		{61 * time.Second, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		h := acr.RequireAuth(acr.DefaultLadder(), tok, need, acr.WithClock(func() time.Time { return authTime.Add(tc.after) }))(next)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != tc.want {
			t.Errorf("%s after auth_time: got %d, want %d", tc.after, w.Code, tc.want)
		}
	}
}

func TestInsufficientAuthErrorSanitizesDescription(t *testing.T) {
	t.Parallel()
	e := &acr.InsufficientAuthError{ACRValues: []string{acr.StepUpACR}, Description: "say \"hi\"\\ to\r\nthe café"}
	got := e.Challenge().String()
	want := `Bearer error="insufficient_user_authentication", error_description="say 'hi'/ to??the caf?", acr_values="urn:biometric-passkey:acr:step-up"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNewEnforcerPanicsOnNil(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"nil ladder": func() { acr.NewEnforcer(nil, facts) },
		"nil facts":  func() { acr.NewEnforcer(acr.DefaultLadder(), nil) },
		"nil need":   func() { acr.NewEnforcer(acr.DefaultLadder(), facts).Require(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: got no panic, want one", name)
				}
			}()
			f()
		}()
	}
}
