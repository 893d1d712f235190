package bankapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// The bank's API is a resource server in the sense of RFC 9470: it takes
// bearer access tokens, learns the authentication behind each one by token
// introspection at the authorization server (RFC 7662, Hydra's admin API),
// and lets acr's Enforcer decide per action and amount whether that
// authentication suffices. The web pages call it server-side, in process,
// with the signed-in customer's access token; the same handler is served
// under /api/v1/ so it can be tried with curl.
//
//	POST /api/v1/transfers  body: one payment_initiation authorization detail
//	POST /api/v1/payees     body: one payee_creation authorization detail
//
// On top of acr and max_age the API applies transaction binding (PSD2
// dynamic linking): an action that needs more than the ladder's lowest
// level needs a token whose authorization_details_hash is the hash of this
// very request body, and such a bound token is good for that one
// transaction, once.

// Actions of the bank's acr policy.
const (
	actionTransfer = "transfer"
	actionAddPayee = "add-payee"
)

// DefaultPolicy is the bank's per-action policy: a transfer up to and
// including 100.00 EUR needs a routine sign-in; above that it needs step-up
// no older than five minutes; adding a payee always needs a step-up no
// older than five minutes.
func DefaultPolicy() acr.PolicyConfig {
	return acr.PolicyConfig{Actions: []acr.ActionRule{
		{Name: actionTransfer, ACR: "routine"},
		{Name: actionTransfer, ACR: "step-up", MaxAge: 5 * time.Minute, Above: &acr.Amount{Value: "100.00", Currency: currency}},
		{Name: actionAddPayee, ACR: "step-up", MaxAge: 5 * time.Minute},
	}}
}

// newPolicy builds the policy and checks that it answers for both of the
// bank's actions.
func newPolicy(cfg acr.PolicyConfig) (*acr.Policy, error) {
	p, err := acr.NewPolicy(cfg, ladder)
	if err != nil {
		return nil, err
	}
	one := money{cents: 1}.Amount()
	var errs []error
	if _, err := p.Requirement(actionTransfer, &one); err != nil {
		errs = append(errs, fmt.Errorf("action %q with an amount in %s: %w", actionTransfer, currency, err))
	}
	if _, err := p.Requirement(actionAddPayee, nil); err != nil {
		errs = append(errs, fmt.Errorf("action %q without an amount: %w", actionAddPayee, err))
	}
	return p, errors.Join(errs...)
}

// Authorization-detail types the bank sends and its API accepts (RFC 9396 §2).
const (
	typePaymentInitiation = "payment_initiation"
	typePayeeCreation     = "payee_creation"
)

type instructedAmount struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
}

type accountRef struct {
	IBAN string `json:"iban"`
}

// paymentInitiation is a transfer as an RFC 9396 authorization detail, in
// the shape of the RFC's own payment example: the body of POST
// /api/v1/transfers and, in a one-element array, the authorization_details
// of a step-up for it.
type paymentInitiation struct {
	Type             string           `json:"type"`
	Actions          []string         `json:"actions"`
	InstructedAmount instructedAmount `json:"instructedAmount"`
	CreditorName     string           `json:"creditorName"`
	CreditorAccount  accountRef       `json:"creditorAccount"`
	Reference        string           `json:"remittanceInformationUnstructured,omitempty"`
}

// payeeCreation is a new payee as an authorization detail: the body of POST
// /api/v1/payees and the authorization_details of its step-up.
type payeeCreation struct {
	Type            string     `json:"type"`
	Actions         []string   `json:"actions"`
	CreditorName    string     `json:"creditorName"`
	CreditorAccount accountRef `json:"creditorAccount"`
}

func newPaymentInitiation(p payee, m money, reference string) paymentInitiation {
	return paymentInitiation{
		Type:             typePaymentInitiation,
		Actions:          []string{"initiate"},
		InstructedAmount: instructedAmount{Currency: currency, Amount: m.Decimal()},
		CreditorName:     p.Name,
		CreditorAccount:  accountRef{IBAN: p.IBAN},
		Reference:        reference,
	}
}

func newPayeeCreation(name, iban string) payeeCreation {
	return payeeCreation{Type: typePayeeCreation, Actions: []string{"create"}, CreditorName: name, CreditorAccount: accountRef{IBAN: iban}}
}

// check validates a transfer order as the API receives it and returns its
// amount. The amount must be in its canonical two-decimal form so that one
// transfer has exactly one canonical JSON, and one hash.
func (p paymentInitiation) check() (money, error) {
	var errs []error
	if p.Type != typePaymentInitiation || !slices.Equal(p.Actions, []string{"initiate"}) {
		errs = append(errs, fmt.Errorf("type must be %q with actions [\"initiate\"]", typePaymentInitiation))
	}
	m, ferr := parseEUR(p.InstructedAmount.Amount)
	switch {
	case p.InstructedAmount.Currency != currency:
		errs = append(errs, fmt.Errorf("instructedAmount.currency must be %s", currency))
	case ferr != nil:
		errs = append(errs, fmt.Errorf("instructedAmount.amount: %s", ferr.text))
	case m.Decimal() != p.InstructedAmount.Amount:
		errs = append(errs, fmt.Errorf("instructedAmount.amount must have exactly two decimals, like %q", m.Decimal()))
	}
	errs = append(errs, checkCreditor(p.CreditorName, p.CreditorAccount.IBAN)...)
	if problem := checkText(p.Reference, "reference", maxReferenceRunes, false); problem != "" {
		errs = append(errs, fmt.Errorf("remittanceInformationUnstructured: %s", problem))
	}
	return m, errors.Join(errs...)
}

func (p payeeCreation) check() error {
	var errs []error
	if p.Type != typePayeeCreation || !slices.Equal(p.Actions, []string{"create"}) {
		errs = append(errs, fmt.Errorf("type must be %q with actions [\"create\"]", typePayeeCreation))
	}
	errs = append(errs, checkCreditor(p.CreditorName, p.CreditorAccount.IBAN)...)
	return errors.Join(errs...)
}

func checkCreditor(name, iban string) []error {
	var errs []error
	if problem := checkText(name, "payee's name", maxPayeeNameRunes, true); problem != "" || strings.TrimSpace(name) != name {
		errs = append(errs, errors.New("creditorName: up to 70 characters, no line breaks, no surrounding spaces"))
	}
	if got, err := parseIBAN(iban); err != nil {
		errs = append(errs, fmt.Errorf("creditorAccount.iban: %s", err.text))
	} else if got != iban {
		errs = append(errs, fmt.Errorf("creditorAccount.iban must be in electronic form, %q", got))
	}
	return errs
}

// boundDetails is an authorization detail ready to be sent and compared:
// its RFC 8785 canonical JSON array and the hash the provider puts into
// the tokens' authorization_details_hash claim.
type boundDetails struct {
	Canonical string // the JSON array, canonical
	Hash      string // base64url (no padding) of its SHA-256
}

// bind turns one authorization detail into boundDetails, through acr's
// strict parser so that what is hashed is exactly what the provider parses.
func bind(detail any) (boundDetails, error) {
	raw, err := json.Marshal([]any{detail})
	if err != nil {
		return boundDetails{}, fmt.Errorf("encode authorization_details: %w", err)
	}
	ds, err := acr.ParseAuthorizationDetails(string(raw))
	if err != nil {
		return boundDetails{}, err
	}
	h := ds.Hash()
	return boundDetails{Canonical: string(ds.Canonical()), Hash: base64.RawURLEncoding.EncodeToString(h[:])}, nil
}

// Claim names the bank reads from introspection responses and ID tokens,
// besides acr, auth_time and sub.
const (
	claimDetails     = "authorization_details"
	claimDetailsHash = "authorization_details_hash"
	claimApprovalID  = "approval_id"
)

// introspection carries a request's introspection result from the
// FactsFunc, which the Enforcer calls, to the handler after it.
type introspection struct {
	token  string
	claims map[string]any
}

type introspectionKey struct{}

// withIntrospection gives every API request a place for its introspection
// result.
func withIntrospection(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), introspectionKey{}, &introspection{})))
	})
}

func introspectionOf(r *http.Request) *introspection {
	if in, ok := r.Context().Value(introspectionKey{}).(*introspection); ok {
		return in
	}
	return &introspection{}
}

// maxIntrospectionResponse bounds what the bank reads from the
// introspection endpoint.
const maxIntrospectionResponse = 64 << 10

// tokenFacts is the API's acr.FactsFunc: it introspects the bearer token
// (RFC 7662 §2) and reads acr, auth_time and sub with acr.FactsFromClaims.
// A token that is not active, belongs to another client or has no subject
// is invalid; an introspection endpoint that fails is
// acr.ErrTokenCheckUnavailable.
func (a *App) tokenFacts(r *http.Request) (acr.TokenFacts, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return acr.TokenFacts{}, acr.ErrNoToken
	}
	claims, err := a.introspect(r.Context(), token)
	if err != nil {
		return acr.TokenFacts{}, err
	}
	if claims["active"] != true {
		return acr.TokenFacts{}, fmt.Errorf("%w: the token is not active", acr.ErrInvalidClaims)
	}
	if id, _ := claims["client_id"].(string); id != a.cfg.ClientID {
		return acr.TokenFacts{}, fmt.Errorf("%w: the token was issued to client %q, not %q", acr.ErrInvalidClaims, id, a.cfg.ClientID)
	}
	facts, err := acr.FactsFromClaims(claims)
	if err != nil {
		return acr.TokenFacts{}, err
	}
	if facts.Subject == "" {
		return acr.TokenFacts{}, fmt.Errorf("%w: no sub", acr.ErrInvalidClaims)
	}
	in := introspectionOf(r)
	in.token, in.claims = token, claims
	return facts, nil
}

// introspect asks the introspection endpoint about token.
func (a *App) introspect(ctx context.Context, token string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.IntrospectionURL,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: build introspection request: %w", acr.ErrTokenCheckUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: introspect: %w", acr.ErrTokenCheckUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: introspection endpoint answered status %d", acr.ErrTokenCheckUnavailable, resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxIntrospectionResponse))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("%w: decode introspection response: %w", acr.ErrTokenCheckUnavailable, err)
	}
	return claims, nil
}

// claimString reads a string claim from the top level or, as Hydra returns
// the access token's session data, from ext; both must agree.
func claimString(claims map[string]any, name string) (string, error) {
	var got string
	places := []map[string]any{claims}
	if ext, ok := claims["ext"].(map[string]any); ok {
		places = append(places, ext)
	}
	for _, m := range places {
		v, ok := m[name]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%w: %s is a %T, not a string", acr.ErrInvalidClaims, name, v)
		}
		if got != "" && s != got {
			return "", fmt.Errorf("%w: %s and ext.%s disagree", acr.ErrInvalidClaims, name, name)
		}
		got = s
	}
	return got, nil
}

// apiError is the JSON body of an API refusal the Enforcer did not write.
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func writeAPIError(w http.ResponseWriter, status int, code, description, challenge string) {
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeAPIJSON(w, status, apiError{Error: code, Description: description})
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"server_error"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// spentTokenTTL is how long a bound token is remembered as used: longer
// than any access token Hydra issues by default (one hour).
const spentTokenTTL = 2 * time.Hour

// authorizeBound applies transaction binding after the Enforcer accepted the
// token's acr and auth_time for need. A token bound to a transaction
// (authorization_details_hash) is accepted only for that transaction and
// only once; a requirement above the ladder's lowest level needs such a
// token, else the answer is the same RFC 9470 challenge as a low acr, with
// the whole requirement, so the client re-authorizes with the details. It
// returns what the token said, or false when it has written the refusal.
func (a *App) authorizeBound(w http.ResponseWriter, r *http.Request, need acr.AuthRequirement, facts acr.TokenFacts, bd boundDetails) (authorization, bool) {
	in := introspectionOf(r)
	hash, err := claimString(in.claims, claimDetailsHash)
	if err == nil {
		var approval string
		approval, err = claimString(in.claims, claimApprovalID)
		if err == nil {
			return a.checkBinding(w, r, need, facts, bd, in.token, hash, approval)
		}
	}
	a.cfg.Logger.InfoContext(r.Context(), "api: unreadable binding claims", "path", r.URL.Path, "err", err)
	c := acr.Challenge{Realm: apiRealm, Error: acr.ErrorInvalidToken, ErrorDescription: "The access token is invalid or expired"}
	writeAPIError(w, http.StatusUnauthorized, c.Error, c.ErrorDescription, c.String())
	return authorization{}, false
}

func (a *App) checkBinding(w http.ResponseWriter, r *http.Request, need acr.AuthRequirement, facts acr.TokenFacts, bd boundDetails, token, hash, approval string) (authorization, bool) {
	auth := authorization{ACR: facts.ACR, AuthTime: facts.AuthTime, ApprovalID: approval, DetailsHash: hash}
	rank, _ := ladder.Rank(need.ACR)
	switch {
	case hash == "" && rank == 0:
		return auth, true
	case hash == "":
		a.cfg.Logger.InfoContext(r.Context(), "api: transaction needs a bound token", "path", r.URL.Path, "sub", facts.Subject, "acr", facts.ACR)
		c := acr.Challenge{
			Realm: apiRealm, Error: acr.ErrorInsufficientUserAuthentication,
			ErrorDescription: "This transaction needs its own approval",
			ACRValues:        []string{need.ACR}, MaxAge: need.MaxAge, HasMaxAge: need.HasMaxAge,
		}
		writeAPIError(w, http.StatusUnauthorized, c.Error, c.ErrorDescription, c.String())
		return authorization{}, false
	case subtle.ConstantTimeCompare([]byte(hash), []byte(bd.Hash)) != 1:
		a.cfg.Logger.WarnContext(r.Context(), "api: token approves another transaction", "path", r.URL.Path, "sub", facts.Subject,
			"token_hash", hash, "request_hash", bd.Hash)
		writeAPIError(w, http.StatusForbidden, "access_denied", "The access token approves a different transaction", "")
		return authorization{}, false
	}
	sum := sha256.Sum256([]byte(token))
	now := a.cfg.Now()
	if !a.spent.add(base64.RawURLEncoding.EncodeToString(sum[:]), struct{}{}, now.Add(spentTokenTTL), now) {
		a.cfg.Logger.WarnContext(r.Context(), "api: bound token used again", "path", r.URL.Path, "sub", facts.Subject, "hash", hash)
		writeAPIError(w, http.StatusForbidden, "access_denied", "The access token's approval has been used already", "")
		return authorization{}, false
	}
	return auth, true
}

// apiRealm is the realm of the API's challenges.
const apiRealm = "example-bank"

// maxAPIBody bounds API request bodies.
const maxAPIBody = 16 << 10

// decodeBody reads one JSON object into v, strictly.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_request", "The body must be one JSON authorization detail: "+err.Error(), "")
		return false
	}
	return true
}

// apiHandler serves the API's routes.
func (a *App) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/transfers", a.apiTransfer)
	mux.HandleFunc("POST /api/v1/payees", a.apiAddPayee)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "not_found", "No such API route", "")
	})
	return withIntrospection(mux)
}

// apiTransferResult is the 201 answer of POST /api/v1/transfers.
type apiTransferResult struct {
	ID            string        `json:"id"`
	Amount        string        `json:"amount"`
	Currency      string        `json:"currency"`
	Balance       string        `json:"balance"`
	Authorization authorization `json:"authorization"`
}

// apiTransfer executes a transfer: parse the order, ask the policy what its
// amount needs and the Enforcer whether the token meets it, apply the
// transaction binding, then debit.
func (a *App) apiTransfer(w http.ResponseWriter, r *http.Request) {
	var order paymentInitiation
	if !decodeBody(w, r, &order) {
		return
	}
	m, err := order.check()
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_request", err.Error(), "")
		return
	}
	bd, err := bind(order)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_request", err.Error(), "")
		return
	}
	amount := m.Amount()
	facts, auth, ok := a.authorizeOrder(w, r, actionTransfer, &amount, bd)
	if !ok {
		return
	}
	t, err := a.ledger.pay(facts.Subject, order.CreditorName, order.CreditorAccount.IBAN, m, order.Reference, auth, a.cfg.Now())
	switch {
	case errors.Is(err, errUnknownPayee):
		writeAPIError(w, http.StatusUnprocessableEntity, "unknown_payee", "The creditor is not one of your payees", "")
		return
	case errors.Is(err, errInsufficientFunds):
		writeAPIError(w, http.StatusUnprocessableEntity, "insufficient_funds", "The balance does not cover the transfer", "")
		return
	case err != nil:
		a.cfg.Logger.ErrorContext(r.Context(), "api: transfer", "err", err)
		writeAPIError(w, http.StatusInternalServerError, "server_error", "The transfer failed", "")
		return
	}
	a.cfg.Logger.InfoContext(r.Context(), "transfer made", "sub", facts.Subject, "id", t.ID, "amount", m.Decimal(),
		"acr", auth.ACR, "approval_id", auth.ApprovalID, "bound", auth.DetailsHash != "")
	acct := a.ledger.snapshot(facts.Subject)
	writeAPIJSON(w, http.StatusCreated, apiTransferResult{ID: t.ID, Amount: m.Decimal(), Currency: currency, Balance: acct.Balance.Decimal(), Authorization: auth})
}

// authorizeOrder lets the Enforcer check the token against what the policy
// asks of action (amount nil for actions without one), then the order's
// transaction binding. When it returns false it has answered the request.
func (a *App) authorizeOrder(w http.ResponseWriter, r *http.Request, action string, amount *acr.Amount, bd boundDetails) (acr.TokenFacts, authorization, bool) {
	var need acr.AuthRequirement
	facts, ok := a.enforcer.Authorize(w, r, func(*http.Request) (acr.AuthRequirement, error) {
		var err error
		need, err = a.policy.Requirement(action, amount)
		return need, err
	})
	if !ok {
		return facts, authorization{}, false
	}
	auth, ok := a.authorizeBound(w, r, need, facts, bd)
	return facts, auth, ok
}

// apiPayeeResult is the 201 answer of POST /api/v1/payees.
type apiPayeeResult struct {
	ID            string        `json:"id"`
	Authorization authorization `json:"authorization"`
}

// apiAddPayee adds a payee. Its requirement does not depend on the body, so
// it could be a plain Require middleware; it is checked after parsing so
// that the binding to this payee can be checked too.
func (a *App) apiAddPayee(w http.ResponseWriter, r *http.Request) {
	var order payeeCreation
	if !decodeBody(w, r, &order) {
		return
	}
	if err := order.check(); err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_request", err.Error(), "")
		return
	}
	bd, err := bind(order)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "invalid_request", err.Error(), "")
		return
	}
	facts, auth, ok := a.authorizeOrder(w, r, actionAddPayee, nil, bd)
	if !ok {
		return
	}
	p, err := a.ledger.addPayee(facts.Subject, order.CreditorName, order.CreditorAccount.IBAN, auth, a.cfg.Now())
	switch {
	case errors.Is(err, errDuplicatePayee):
		writeAPIError(w, http.StatusConflict, "duplicate_payee", "You have a payee with this IBAN already", "")
		return
	case errors.Is(err, errTooManyPayees):
		writeAPIError(w, http.StatusUnprocessableEntity, "too_many_payees", "You have the maximum number of payees", "")
		return
	case err != nil:
		a.cfg.Logger.ErrorContext(r.Context(), "api: add payee", "err", err)
		writeAPIError(w, http.StatusInternalServerError, "server_error", "The payee could not be added", "")
		return
	}
	a.cfg.Logger.InfoContext(r.Context(), "payee added", "sub", facts.Subject, "id", p.ID, "acr", auth.ACR, "approval_id", auth.ApprovalID)
	writeAPIJSON(w, http.StatusCreated, apiPayeeResult{ID: p.ID, Authorization: auth})
}

// apiResponse is an API answer as the web pages see it.
type apiResponse struct {
	Status    int
	Challenge string // WWW-Authenticate
	Body      []byte
}

// callAPI makes a request to the bank's API with the bearer token, in
// process: the same handler, headers and status codes as over the network,
// without depending on how the bank's own address resolves.
func (a *App) callAPI(ctx context.Context, path, token string, body any) (apiResponse, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return apiResponse{}, fmt.Errorf("encode API request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/api/v1/"+path, bytes.NewReader(b))
	if err != nil {
		return apiResponse{}, fmt.Errorf("build API request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := &memResponse{header: http.Header{}}
	a.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return apiResponse{Status: rec.status, Challenge: rec.header.Get("WWW-Authenticate"), Body: rec.body.Bytes()}, nil
}

// memResponse is an http.ResponseWriter that keeps the answer in memory.
type memResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (m *memResponse) Header() http.Header { return m.header }

func (m *memResponse) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *memResponse) Write(b []byte) (int, error) {
	m.WriteHeader(http.StatusOK)
	return m.body.Write(b)
}
