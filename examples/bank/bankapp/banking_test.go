package bankapp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

const (
	testSub       = "cust-0123456789abcdef0123456789abcdef"
	testPayeeName = "Bob Payee"
	testPayeeIBAN = "DE89370400440532013000"
)

// bankWithPayee signs a customer in at routine level and gives them one
// payee; it returns the payee.
func bankWithPayee(t *testing.T, h *harness) payee {
	t.Helper()
	h.app.accounts.add(account{ID: testSub, Username: "alice", FullName: "Alice Example"})
	wantStatus(t, h.signIn(t, routineClaims(testSub)), http.StatusSeeOther)
	p, err := h.app.ledger.addPayee(testSub, testPayeeName, testPayeeIBAN, authorization{}, testNow)
	if err != nil {
		t.Fatalf("add payee: %v", err)
	}
	return p
}

// postForm posts form with the CSRF token of the page at formPath.
func (h *harness) postForm(t *testing.T, formPath, action string, form url.Values) response {
	t.Helper()
	form.Set("csrf", h.csrf(t, formPath))
	return h.post(t, action, form)
}

// approvalClaimsFor are the ID-token claims of a step-up that approved
// exactly the authorization_details of the authorization request authURL,
// as the login provider issues them; the hash is computed here, apart from
// the bank's code.
func approvalClaimsFor(t *testing.T, authURL string) map[string]any {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse authorization URL: %v", err)
	}
	raw := u.Query().Get("authorization_details")
	ds, err := acr.ParseAuthorizationDetails(raw)
	if err != nil {
		t.Fatalf("authorization request's authorization_details %q: %v", raw, err)
	}
	var details any
	if err := json.Unmarshal([]byte(raw), &details); err != nil {
		t.Fatalf("decode authorization_details: %v", err)
	}
	sum := sha256.Sum256(ds.Canonical())
	claims := routineClaims(testSub)
	claims["acr"] = acr.StepUpACR
	claims["amr"] = []string{"hwk", "face", "mfa"}
	claims["auth_time"] = testNow.Unix()
	claims["sid"] = "hydra-session-2"
	claims[claimDetails] = details
	claims[claimDetailsHash] = base64.RawURLEncoding.EncodeToString(sum[:])
	claims[claimApprovalID] = "appr-0001"
	return claims
}

func (h *harness) transfers(t *testing.T) []transfer {
	t.Helper()
	return h.app.ledger.snapshot(testSub).Transfers
}

func (h *harness) balance(t *testing.T) money {
	t.Helper()
	return h.app.ledger.snapshot(testSub).Balance
}

func TestSmallTransferGoesThroughWithTheSessionToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	p := bankWithPayee(t, h)
	before := h.balance(t)
	introspections := h.idp.introspections()

	res := h.postForm(t, "/transfers/new", "/transfers", url.Values{"payee": {p.ID}, "amount": {"100.00"}, "reference": {"Rent"}})
	wantStatus(t, res, http.StatusSeeOther)
	ts := h.transfers(t)
	if len(ts) != 1 {
		t.Fatalf("transfers: got %d, want 1", len(ts))
	}
	if got, want := res.Header.Get("Location"), "/transfers/"+ts[0].ID; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	if got := h.idp.introspections() - introspections; got != 1 {
		t.Errorf("introspection requests: got %d, want 1", got)
	}
	if got, want := h.balance(t).cents, before.cents-10000; got != want {
		t.Errorf("balance: got %d cents, want %d", got, want)
	}
	wantAuth := authorization{ACR: acr.RoutineACR, AuthTime: testNow.Add(-42 * time.Second)}
	if diff := cmp.Diff(wantAuth, ts[0].MadeWith); diff != "" {
		t.Errorf("transfer's authorization (-want +got):\n%s", diff)
	}

	res = h.get(t, "/transfers/"+ts[0].ID)
	wantStatus(t, res, http.StatusOK)
	wantContains(t, res,
		`<dd id="done-amount">€100.00</dd>`,
		`<dd id="done-payee">Bob Payee</dd>`,
		`<dd id="done-iban">DE89 3704 0044 0532 0130 00</dd>`,
		`<code id="done-acr">`+acr.RoutineACR+`</code>`,
		`<time id="done-auth-time" datetime="2026-03-14T09:26:11Z">`,
		`<span class="muted" id="done-approval-id">none</span>`,
	)
	res = h.get(t, "/account")
	wantContains(t, res, `id="transfers"`, `−€100.00`, `id="payees"`)
}

func TestLargeTransferStepsUpWithItsDetails(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	p := bankWithPayee(t, h)
	before := h.balance(t)

	res := h.postForm(t, "/transfers/new", "/transfers", url.Values{"payee": {p.ID}, "amount": {"100.01"}, "reference": {"Rent"}})
	wantStatus(t, res, http.StatusSeeOther)
	if got := len(h.transfers(t)); got != 0 {
		t.Fatalf("transfers before the step-up: got %d, want 0", got)
	}
	authURL := res.Header.Get("Location")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, h.idp.issuer+"/oauth2/auth"; got != want {
		t.Fatalf("step-up goes to %q, want the authorization endpoint %q", got, want)
	}
	q := u.Query()
	got := map[string]string{}
	for _, k := range []string{"acr_values", "max_age", "prompt", "authorization_details", "client_id", "redirect_uri", "code_challenge_method"} {
		got[k] = q.Get(k)
	}
	want := map[string]string{
		"acr_values":            acr.StepUpACR,
		"max_age":               "300",
		"prompt":                "login",
		"authorization_details": `[{"actions":["initiate"],"creditorAccount":{"iban":"DE89370400440532013000"},"creditorName":"Bob Payee","instructedAmount":{"amount":"100.01","currency":"EUR"},"remittanceInformationUnstructured":"Rent","type":"payment_initiation"}]`,
		"client_id":             testClientID,
		"redirect_uri":          h.bank + "/callback",
		"code_challenge_method": "S256",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step-up authorization request (-want +got):\n%s", diff)
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("step-up authorization request: %s is empty", k)
		}
	}

	cb := h.idp.issue(t, authURL, approvalClaimsFor(t, authURL))
	res = h.get(t, "/callback?"+cb.Encode())
	wantStatus(t, res, http.StatusSeeOther)
	ts := h.transfers(t)
	if len(ts) != 1 {
		t.Fatalf("transfers after the step-up: got %d, want 1", len(ts))
	}
	if got, want := res.Header.Get("Location"), "/transfers/"+ts[0].ID; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	if got, want := h.balance(t).cents, before.cents-10001; got != want {
		t.Errorf("balance: got %d cents, want %d", got, want)
	}
	res = h.get(t, "/transfers/"+ts[0].ID)
	wantStatus(t, res, http.StatusOK)
	wantContains(t, res,
		`<dd id="done-amount">€100.01</dd>`,
		`<code id="done-acr">`+acr.StepUpACR+`</code>`,
		`<time id="done-auth-time" datetime="2026-03-14T09:26:53Z">`,
		`<code id="done-approval-id">appr-0001</code>`,
		`id="done-details-hash"`,
	)

	// The callback is single-use: replaying it neither executes the
	// transfer again nor signs anyone in.
	res = h.get(t, "/callback?"+cb.Encode())
	wantStatus(t, res, http.StatusBadRequest)
	if got := len(h.transfers(t)); got != 1 {
		t.Errorf("transfers after a replayed callback: got %d, want 1", got)
	}

	// The step-up replaced the provider's session, so logout names it with
	// the step-up's ID token.
	res = h.post(t, "/logout", url.Values{"csrf": {h.csrf(t, "/account")}})
	wantStatus(t, res, http.StatusSeeOther)
	out, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse logout Location: %v", err)
	}
	if got, want := out.Query().Get("id_token_hint"), h.idp.lastIDToken(); got != want {
		t.Errorf("id_token_hint: got %q, want the step-up's ID token %q", got, want)
	}
}

func TestStepUpCallbackRefusesWhatWasNotApproved(t *testing.T) {
	t.Parallel()
	otherDetails := `[{"actions":["initiate"],"creditorAccount":{"iban":"DE89370400440532013000"},"creditorName":"Bob Payee","instructedAmount":{"amount":"9999.00","currency":"EUR"},"type":"payment_initiation"}]`
	otherSum := sha256.Sum256([]byte(otherDetails))
	var other any
	if err := json.Unmarshal([]byte(otherDetails), &other); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		claims func(map[string]any)
		access map[string]any
		status int
	}{
		"hash of other details": {
			claims: func(c map[string]any) {
				c[claimDetailsHash] = base64.RawURLEncoding.EncodeToString(otherSum[:])
			},
		},
		"other details approved, hash of the sent ones": {
			claims: func(c map[string]any) { c[claimDetails] = other },
		},
		"other details and their hash": {
			claims: func(c map[string]any) {
				c[claimDetails] = other
				c[claimDetailsHash] = base64.RawURLEncoding.EncodeToString(otherSum[:])
			},
		},
		"no hash":              {claims: func(c map[string]any) { delete(c, claimDetailsHash) }},
		"no details":           {claims: func(c map[string]any) { delete(c, claimDetails) }},
		"routine acr":          {claims: func(c map[string]any) { c["acr"] = acr.RoutineACR }},
		"acr 0":                {claims: func(c map[string]any) { c["acr"] = "0" }},
		"another customer":     {claims: func(c map[string]any) { c["sub"] = "cust-someone-else" }},
		"older than max_age":   {claims: func(c map[string]any) { c["auth_time"] = testNow.Add(-301 * time.Second).Unix() }},
		"no auth_time":         {claims: func(c map[string]any) { delete(c, "auth_time") }},
		"wrong nonce":          {claims: func(c map[string]any) { c["nonce"] = "someone-elses" }, status: http.StatusBadGateway},
		"access token unbound": {access: map[string]any{claimDetailsHash: nil}},
		"access token bound to other details": {
			access: map[string]any{claimDetailsHash: base64.RawURLEncoding.EncodeToString(otherSum[:])},
		},
		"access token at routine": {access: map[string]any{"acr": acr.RoutineACR}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			p := bankWithPayee(t, h)
			before := h.balance(t)
			res := h.postForm(t, "/transfers/new", "/transfers", url.Values{"payee": {p.ID}, "amount": {"250.00"}})
			wantStatus(t, res, http.StatusSeeOther)
			authURL := res.Header.Get("Location")
			claims := approvalClaimsFor(t, authURL)
			if tc.claims != nil {
				tc.claims(claims)
			}
			cb := h.idp.issueWithAccess(t, authURL, claims, tc.access)
			res = h.get(t, "/callback?"+cb.Encode())
			status := tc.status
			if status == 0 {
				status = http.StatusForbidden
			}
			wantStatus(t, res, status)
			wantText(t, res, "The transfer was not made")
			if got := len(h.transfers(t)); got != 0 {
				t.Errorf("transfers: got %d, want 0", got)
			}
			if got := h.balance(t); got != before {
				t.Errorf("balance: got %s, want %s", got, before)
			}
			if strings.Contains(res.Header.Get("Location"), "/oauth2/auth") {
				t.Errorf("refused approval started another step-up")
			}
		})
	}
}

func TestStepUpRefusedByTheProvider(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		code, description string
		wantText          string
	}{
		"unmet requirements": {
			code: "unmet_authentication_requirements", description: "The face check did not match.",
			wantText: "Your sign-in couldn't reach the level this needs",
		},
		"cancelled": {
			code: "access_denied", description: "The user cancelled the approval.",
			wantText: "The approval was cancelled or refused.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			p := bankWithPayee(t, h)
			res := h.postForm(t, "/transfers/new", "/transfers", url.Values{"payee": {p.ID}, "amount": {"500"}})
			wantStatus(t, res, http.StatusSeeOther)
			u, err := url.Parse(res.Header.Get("Location"))
			if err != nil {
				t.Fatalf("parse Location: %v", err)
			}
			exchanged := h.idp.exchanges()
			q := url.Values{"error": {tc.code}, "error_description": {tc.description}, "state": {u.Query().Get("state")}}
			res = h.get(t, "/callback?"+q.Encode())
			wantStatus(t, res, http.StatusForbidden)
			wantText(t, res, "The transfer was not made", tc.wantText, "The sign-in service said: "+tc.description)
			if got := len(h.transfers(t)); got != 0 {
				t.Errorf("transfers: got %d, want 0", got)
			}
			if got := h.idp.exchanges(); got != exchanged {
				t.Errorf("code exchanges: got %d, want 0", got-exchanged)
			}
		})
	}
}

func TestStepUpCallbackFromAnotherBrowser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	p := bankWithPayee(t, h)
	res := h.postForm(t, "/transfers/new", "/transfers", url.Values{"payee": {p.ID}, "amount": {"500"}})
	authURL := res.Header.Get("Location")
	cb := h.idp.issue(t, authURL, approvalClaimsFor(t, authURL))
	res = h.do(t, newBrowser(t), http.MethodGet, "/callback?"+cb.Encode(), nil)
	wantStatus(t, res, http.StatusBadRequest)
	wantText(t, res, "The transfer was not made")
	if got := len(h.transfers(t)); got != 0 {
		t.Errorf("transfers: got %d, want 0", got)
	}
}

func TestAddPayeeStepsUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	bankWithPayee(t, h)
	res := h.postForm(t, "/payees/new", "/payees", url.Values{"name": {"Carol Example"}, "iban": {"gb82 west 1234 5698 7654 32"}})
	wantStatus(t, res, http.StatusSeeOther)
	authURL := res.Header.Get("Location")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	q := u.Query()
	got := map[string]string{"acr_values": q.Get("acr_values"), "max_age": q.Get("max_age"), "prompt": q.Get("prompt"), "authorization_details": q.Get("authorization_details")}
	want := map[string]string{
		"acr_values":            acr.StepUpACR,
		"max_age":               "300",
		"prompt":                "login",
		"authorization_details": `[{"actions":["create"],"creditorAccount":{"iban":"GB82WEST12345698765432"},"creditorName":"Carol Example","type":"payee_creation"}]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step-up authorization request (-want +got):\n%s", diff)
	}
	if n := len(h.app.ledger.snapshot(testSub).Payees); n != 1 {
		t.Fatalf("payees before the step-up: got %d, want 1", n)
	}
	cb := h.idp.issue(t, authURL, approvalClaimsFor(t, authURL))
	res = h.get(t, "/callback?"+cb.Encode())
	wantStatus(t, res, http.StatusSeeOther)
	payees := h.app.ledger.snapshot(testSub).Payees
	if len(payees) != 2 || payees[1].Name != "Carol Example" || payees[1].IBAN != "GB82WEST12345698765432" {
		t.Fatalf("payees after the step-up: got %+v, want Carol Example added", payees)
	}
	res = h.get(t, res.Header.Get("Location"))
	wantStatus(t, res, http.StatusOK)
	wantContains(t, res, `<h1 id="done-heading">Payee added</h1>`, `<code id="done-approval-id">appr-0001</code>`,
		`<dd id="done-iban">GB82 WEST 1234 5698 7654 32</dd>`)
}

func TestFormsRejectInvalidInput(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		formPath, action string
		form             url.Values // "payee" = "PAYEE" is replaced with the payee's id
		wantText         string
	}{
		"negative amount":     {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"-5"}}, "digits only, no sign"},
		"three decimals":      {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"10.001"}}, "at most two decimals"},
		"huge amount":         {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"1" + strings.Repeat("0", 30)}}, "at most €1,000,000.00"},
		"zero amount":         {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"0.00"}}, "above 0.00"},
		"more than balance":   {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"999999.99"}}, "doesn't cover this transfer"},
		"unknown payee":       {"/transfers/new", "/transfers", url.Values{"payee": {"py-nobody"}, "amount": {"5"}}, "Choose one of your payees."},
		"reference too long":  {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"5"}, "reference": {strings.Repeat("x", 141)}}, "up to 140 characters"},
		"IBAN checksum":       {"/payees/new", "/payees", url.Values{"name": {"Carol"}, "iban": {"DE89 3704 0044 0532 0130 01"}}, "check digits don't match"},
		"IBAN length":         {"/payees/new", "/payees", url.Values{"name": {"Carol"}, "iban": {"DE89 3704 0044 0532 0130"}}, "wrong length for its country"},
		"IBAN characters":     {"/payees/new", "/payees", url.Values{"name": {"Carol"}, "iban": {"DE89/3704/0044/0532/0130/00"}}, "letters and digits only"},
		"IBAN already payee":  {"/payees/new", "/payees", url.Values{"name": {"Bob again"}, "iban": {testPayeeIBAN}}, "payee with this IBAN already"},
		"payee without name":  {"/payees/new", "/payees", url.Values{"name": {" "}, "iban": {"NL91ABNA0417164300"}}, "Enter the payee's name."},
		"payee name too long": {"/payees/new", "/payees", url.Values{"name": {strings.Repeat("x", 71)}, "iban": {"NL91ABNA0417164300"}}, "up to 70 characters"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			p := bankWithPayee(t, h)
			if tc.form.Get("payee") == "PAYEE" {
				tc.form.Set("payee", p.ID)
			}
			before := h.balance(t)
			introspections := h.idp.introspections()
			res := h.postForm(t, tc.formPath, tc.action, tc.form)
			wantStatus(t, res, http.StatusBadRequest)
			wantText(t, res, tc.wantText)
			if got := h.idp.introspections() - introspections; got != 0 {
				t.Errorf("API calls (introspections): got %d, want 0", got)
			}
			acct := h.app.ledger.snapshot(testSub)
			if len(acct.Transfers) != 0 || len(acct.Payees) != 1 || acct.Balance != before {
				t.Errorf("account changed: got %d transfers, %d payees, balance %s; want 0, 1, %s", len(acct.Transfers), len(acct.Payees), acct.Balance, before)
			}
		})
	}
}

func TestFormsRequireCSRFToken(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		formPath, action string
		form             url.Values
	}{
		"transfer": {"/transfers/new", "/transfers", url.Values{"payee": {"PAYEE"}, "amount": {"5"}}},
		"payee":    {"/payees/new", "/payees", url.Values{"name": {"Carol"}, "iban": {"NL91ABNA0417164300"}}},
	}
	tokens := map[string]func(t *testing.T, h *harness, formPath string) string{
		"missing token": func(*testing.T, *harness, string) string { return "" },
		"forged token":  func(*testing.T, *harness, string) string { return "forged" },
		"another browser's token": func(t *testing.T, h *harness, formPath string) string {
			other := &harness{bank: h.bank, client: newBrowser(t)}
			return other.csrf(t, "/signup")
		},
	}
	for name, tc := range tests {
		for tokName, token := range tokens {
			t.Run(name+"/"+tokName, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, harnessOpts{})
				p := bankWithPayee(t, h)
				h.csrf(t, tc.formPath) // the browser has its CSRF cookie
				form := url.Values{}
				for k, v := range tc.form {
					form[k] = v
				}
				if form.Get("payee") == "PAYEE" {
					form.Set("payee", p.ID)
				}
				if tok := token(t, h, tc.formPath); tok != "" {
					form.Set("csrf", tok)
				}
				introspections := h.idp.introspections()
				res := h.post(t, tc.action, form)
				wantStatus(t, res, http.StatusForbidden)
				wantText(t, res, "This form has expired")
				if got := h.idp.introspections() - introspections; got != 0 {
					t.Errorf("API calls (introspections): got %d, want 0", got)
				}
				acct := h.app.ledger.snapshot(testSub)
				if len(acct.Transfers) != 0 || len(acct.Payees) != 1 {
					t.Errorf("account changed: got %d transfers, %d payees; want 0, 1", len(acct.Transfers), len(acct.Payees))
				}
			})
		}
	}
}

func TestTransferPagesNeedASession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for _, path := range []string{"/transfers/new", "/payees/new", "/transfers/tr-x"} {
		res := h.get(t, path)
		wantStatus(t, res, http.StatusSeeOther)
	}
	res := h.post(t, "/transfers", url.Values{"csrf": {h.csrf(t, "/signup")}, "amount": {"5"}})
	wantStatus(t, res, http.StatusUnauthorized)
	wantText(t, res, "Your session has ended.")
}

// mint registers an access token whose introspection answer is claims
// (client_id and active added) and returns it.
func (p *testIdP) mint(claims map[string]any) string {
	at := "at-" + rand.Text()
	c := map[string]any{"active": true, "client_id": testClientID}
	for k, v := range claims {
		c[k] = v
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tokens == nil {
		p.tokens = map[string]map[string]any{}
	}
	p.tokens[at] = c
	return at
}

// callAPI posts body to the bank's API over HTTP with the bearer token.
func (h *harness) callAPI(t *testing.T, path, token string, body any) response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.bank+path, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Response: resp, Body: string(data)}
}

func TestAPIEnforcesPolicyAndBinding(t *testing.T) {
	t.Parallel()
	bob := payee{Name: testPayeeName, IBAN: testPayeeIBAN}
	transferOf := func(amount string) paymentInitiation {
		m, ferr := parseEUR(amount)
		if ferr != nil {
			t.Fatalf("parseEUR(%q): %v", amount, ferr)
		}
		return newPaymentInitiation(bob, m, "")
	}
	hashOf := func(detail any) string {
		bd, err := bind(detail)
		if err != nil {
			t.Fatalf("bind: %v", err)
		}
		return bd.Hash
	}
	fresh := testNow.Add(-time.Minute).Unix()
	routine := map[string]any{"sub": testSub, "ext": map[string]any{"acr": acr.RoutineACR, "auth_time": fresh}}
	stepUpBound := func(detail any) map[string]any {
		return map[string]any{"sub": testSub, "ext": map[string]any{"acr": acr.StepUpACR, "auth_time": fresh, claimDetailsHash: hashOf(detail), claimApprovalID: "appr-7"}}
	}
	stepUpUnbound := map[string]any{"sub": testSub, "acr": acr.StepUpACR, "auth_time": fresh}
	tests := map[string]struct {
		path      string
		token     map[string]any // nil: no Authorization header
		body      any
		status    int
		challenge string // want the WWW-Authenticate challenge's error …
		acrValues []string
		maxAge    time.Duration
	}{
		"no token": {path: "/api/v1/transfers", body: transferOf("5"), status: http.StatusUnauthorized},
		"routine, exactly 100.00": {
			path: "/api/v1/transfers", token: routine, body: transferOf("100.00"), status: http.StatusCreated,
		},
		"routine, 100.01": {
			path: "/api/v1/transfers", token: routine, body: transferOf("100.01"), status: http.StatusUnauthorized,
			challenge: acr.ErrorInsufficientUserAuthentication, acrValues: []string{acr.StepUpACR}, maxAge: 5 * time.Minute,
		},
		"step-up but not bound, 100.01": {
			path: "/api/v1/transfers", token: stepUpUnbound, body: transferOf("100.01"), status: http.StatusUnauthorized,
			challenge: acr.ErrorInsufficientUserAuthentication, acrValues: []string{acr.StepUpACR}, maxAge: 5 * time.Minute,
		},
		"step-up bound to this transfer": {
			path: "/api/v1/transfers", token: stepUpBound(transferOf("100.01")), body: transferOf("100.01"), status: http.StatusCreated,
		},
		"step-up bound to another transfer": {
			path: "/api/v1/transfers", token: stepUpBound(transferOf("100.02")), body: transferOf("100.01"), status: http.StatusForbidden,
		},
		"bound token used for a small transfer": {
			path: "/api/v1/transfers", token: stepUpBound(transferOf("100.02")), body: transferOf("5.00"), status: http.StatusForbidden,
		},
		"step-up too old": {
			path: "/api/v1/transfers", body: transferOf("100.01"), status: http.StatusUnauthorized,
			token:     map[string]any{"sub": testSub, "ext": map[string]any{"acr": acr.StepUpACR, "auth_time": testNow.Add(-6 * time.Minute).Unix()}},
			challenge: acr.ErrorInsufficientUserAuthentication, acrValues: []string{acr.StepUpACR}, maxAge: 5 * time.Minute,
		},
		"routine, payee": {
			path: "/api/v1/payees", token: routine, body: newPayeeCreation("Carol", "NL91ABNA0417164300"), status: http.StatusUnauthorized,
			challenge: acr.ErrorInsufficientUserAuthentication, acrValues: []string{acr.StepUpACR}, maxAge: 5 * time.Minute,
		},
		"step-up bound to this payee": {
			path: "/api/v1/payees", token: stepUpBound(newPayeeCreation("Carol", "NL91ABNA0417164300")),
			body: newPayeeCreation("Carol", "NL91ABNA0417164300"), status: http.StatusCreated,
		},
		"amount not canonical": {
			path: "/api/v1/transfers", token: routine, status: http.StatusBadRequest,
			body: paymentInitiation{Type: typePaymentInitiation, Actions: []string{"initiate"}, InstructedAmount: instructedAmount{Currency: "EUR", Amount: "5"}, CreditorName: testPayeeName, CreditorAccount: accountRef{IBAN: testPayeeIBAN}},
		},
		"unknown member": {
			path: "/api/v1/transfers", token: routine, status: http.StatusBadRequest,
			body: map[string]any{"type": typePaymentInitiation, "actions": []string{"initiate"}, "debtor": "x"},
		},
		"token of another client": {
			path: "/api/v1/transfers", body: transferOf("5"), status: http.StatusUnauthorized, challenge: acr.ErrorInvalidToken,
			token: map[string]any{"sub": testSub, "client_id": "someone-else", "acr": acr.RoutineACR, "auth_time": fresh},
		},
		"inactive token": {
			path: "/api/v1/transfers", body: transferOf("5"), status: http.StatusUnauthorized, challenge: acr.ErrorInvalidToken,
			token: map[string]any{"active": false},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			if _, err := h.app.ledger.addPayee(testSub, bob.Name, bob.IBAN, authorization{}, testNow); err != nil {
				t.Fatal(err)
			}
			var token string
			if tc.token != nil {
				token = h.idp.mint(tc.token)
			}
			res := h.callAPI(t, tc.path, token, tc.body)
			wantStatus(t, res, tc.status)
			if tc.status == http.StatusCreated {
				if got := len(h.transfers(t)) + len(h.app.ledger.snapshot(testSub).Payees); got != 2 {
					t.Errorf("transfers + payees: got %d, want 2", got)
				}
				if tc.token["ext"].(map[string]any)[claimApprovalID] == "appr-7" && !strings.Contains(res.Body, `"approval_id":"appr-7"`) {
					t.Errorf("body: got %s, want the approval id", res.Body)
				}
				return
			}
			if got := len(h.transfers(t)) + len(h.app.ledger.snapshot(testSub).Payees); got != 1 {
				t.Errorf("transfers + payees: got %d, want 1 (nothing done)", got)
			}
			if tc.status != http.StatusUnauthorized {
				return
			}
			c, err := acr.ParseChallenge(res.Header.Get("WWW-Authenticate"))
			if err != nil {
				t.Fatalf("ParseChallenge(%q): %v", res.Header.Get("WWW-Authenticate"), err)
			}
			got := acr.Challenge{Error: c.Error, ACRValues: c.ACRValues, MaxAge: c.MaxAge, HasMaxAge: c.HasMaxAge}
			want := acr.Challenge{Error: tc.challenge, ACRValues: tc.acrValues, MaxAge: tc.maxAge, HasMaxAge: tc.maxAge > 0}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("challenge %q (-want +got):\n%s", res.Header.Get("WWW-Authenticate"), diff)
			}
		})
	}
}

func TestAPIAcceptsABoundTokenOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	bob, err := h.app.ledger.addPayee(testSub, testPayeeName, testPayeeIBAN, authorization{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := parseEUR("150")
	order := newPaymentInitiation(bob, m, "")
	bd, err := bind(order)
	if err != nil {
		t.Fatal(err)
	}
	token := h.idp.mint(map[string]any{"sub": testSub, "ext": map[string]any{"acr": acr.StepUpACR, "auth_time": testNow.Unix(), claimDetailsHash: bd.Hash}})
	wantStatus(t, h.callAPI(t, "/api/v1/transfers", token, order), http.StatusCreated)
	wantStatus(t, h.callAPI(t, "/api/v1/transfers", token, order), http.StatusForbidden)
	if got := len(h.transfers(t)); got != 1 {
		t.Errorf("transfers: got %d, want 1", got)
	}
}
