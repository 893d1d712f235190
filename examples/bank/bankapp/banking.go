package bankapp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// Transfers and payees. The pages validate the form, then call the bank's
// API (api.go) with the session's access token. When the API answers with
// an RFC 9470 challenge, the page starts a step-up: a new authorization
// request with the challenge's acr_values and max_age, prompt=login, and
// authorization_details describing exactly this transfer or payee; the
// order waits server-side under the request's state. The callback checks
// the ID token (nonce, subject, acr, auth_time, and that the approved
// details and their hash are the ones sent) and only then calls the API
// again with the new access token, which the API checks once more.

// order is a transfer or a new payee on its way to the API.
type order struct {
	Transfer *paymentInitiation // set for a transfer
	Payee    *payeeCreation     // set for a new payee
}

func (o order) body() any {
	if o.Transfer != nil {
		return *o.Transfer
	}
	return *o.Payee
}

func (o order) apiPath() string {
	if o.Transfer != nil {
		return "transfers"
	}
	return "payees"
}

func (o order) doneURL(id string) string { return "/" + o.apiPath() + "/" + id }

// notDone is the heading and next step of a page that says the order was
// not carried out.
func (o order) notDone(text string) message {
	if o.Transfer != nil {
		return message{Heading: "The transfer was not made", Text: text,
			Next: &link{Href: "/transfers/new", Label: "Start a new transfer", ID: "retry"}}
	}
	return message{Heading: "The payee was not added", Text: text,
		Next: &link{Href: "/payees/new", Label: "Add a payee", ID: "retry"}}
}

// pendingStepUp is a started step-up for an order, kept server-side under
// the authorization request's state and taken exactly once by the callback.
type pendingStepUp struct {
	SessionID string // the bank session that started it
	Subject   string
	Nonce     string
	Verifier  string   // PKCE code verifier
	ACRValues []string // from the challenge; the acr must satisfy one
	MaxAge    time.Duration
	HasMaxAge bool
	Started   time.Time
	Order     order
	Details   boundDetails // what was sent as authorization_details
}

var (
	msgSessionEnded = message{
		Heading: "Please sign in",
		Text:    "Your session has ended. Sign in again, then start over.",
		Next:    &link{Href: "/login", Label: "Sign in", ID: "signin"},
	}
	msgSignInAgain = message{
		Heading: "Please sign in again",
		Text:    "Your sign-in has expired, so the bank couldn't act on it. Nothing was changed. Sign in again, then start over.",
		Next:    &link{Href: "/login", Label: "Sign in", ID: "signin"},
	}
)

// Rows and views of the pages.
type (
	transferRow struct {
		ID, Payee, IBAN, Amount, Reference string
		Made                               time.Time
		Bound                              bool // approved as a transaction
	}
	payeeRow struct {
		ID, Name, IBAN string
	}
	transferForm struct {
		CSRF                       string
		Balance                    string
		Payees                     []payeeRow
		PayeeID, Amount, Reference string
		Errors                     []string
	}
	payeeForm struct {
		CSRF, Name, IBAN string
		Errors           []string
	}
	// doneView is a confirmation: what was done, and the authentication
	// the API accepted it on.
	doneView struct {
		Heading string
		Facts   []fact
		Auth    authView
		Next    []link
	}
	fact struct {
		Label, Value, ID string
	}
	authView struct {
		ACR, Level   string
		AuthTime     time.Time
		ApprovalID   string
		DetailsHash  string
		HasAuthTime  bool
		Bound        bool
		NeededStepUp bool
	}
)

func newTransferRow(t transfer) transferRow {
	return transferRow{ID: t.ID, Payee: t.PayeeName, IBAN: formatIBAN(t.IBAN), Amount: t.Amount.String(),
		Reference: t.Reference, Made: t.Made, Bound: t.MadeWith.DetailsHash != ""}
}

func newPayeeRow(p payee) payeeRow { return payeeRow{ID: p.ID, Name: p.Name, IBAN: formatIBAN(p.IBAN)} }

func newAuthView(a authorization) authView {
	return authView{ACR: a.ACR, Level: levelName(a.ACR), AuthTime: a.AuthTime.UTC(), HasAuthTime: !a.AuthTime.IsZero(),
		ApprovalID: a.ApprovalID, DetailsHash: a.DetailsHash, Bound: a.DetailsHash != ""}
}

// signedIn returns the session of a page that needs one, or redirects home.
func (a *App) signedIn(w http.ResponseWriter, r *http.Request) (session, bool) {
	sess, ok := a.currentSession(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
	return sess, ok
}

func (a *App) transferPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	a.renderTransferForm(w, r, http.StatusOK, sess.Claims.Subject, transferForm{PayeeID: r.URL.Query().Get("payee")})
}

func (a *App) renderTransferForm(w http.ResponseWriter, r *http.Request, status int, sub string, v transferForm) {
	acct := a.ledger.snapshot(sub)
	v.CSRF = a.csrfToken(w, r)
	v.Balance = acct.Balance.String()
	v.Payees = nil
	for _, p := range acct.Payees {
		v.Payees = append(v.Payees, newPayeeRow(p))
	}
	a.render(w, r, status, "transfer", "New transfer", v)
}

// postedSession checks a posted form's size and CSRF token and returns the
// session, or writes the refusal.
func (a *App) postedSession(w http.ResponseWriter, r *http.Request) (string, session, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !a.checkCSRF(r) {
		a.fail(w, r, http.StatusForbidden, msgFormExpired, fmt.Errorf("%s: missing or invalid CSRF token", r.URL.Path))
		return "", session{}, false
	}
	sid, sess, ok := a.currentSessionID(r)
	if !ok {
		a.fail(w, r, http.StatusUnauthorized, msgSessionEnded, fmt.Errorf("%s: no session", r.URL.Path))
		return "", session{}, false
	}
	return sid, sess, true
}

// newTransfer validates the transfer form and sends the transfer to the API.
func (a *App) newTransfer(w http.ResponseWriter, r *http.Request) {
	sid, sess, ok := a.postedSession(w, r)
	if !ok {
		return
	}
	sub := sess.Claims.Subject
	v := transferForm{
		PayeeID:   r.PostFormValue("payee"),
		Amount:    strings.TrimSpace(r.PostFormValue("amount")),
		Reference: strings.TrimSpace(r.PostFormValue("reference")),
	}
	p, known := a.ledger.payee(sub, v.PayeeID)
	if !known {
		v.Errors = append(v.Errors, "Choose one of your payees.")
	}
	m, ferr := parseEUR(v.Amount)
	if ferr != nil {
		v.Errors = append(v.Errors, ferr.text)
	} else if bal := a.ledger.snapshot(sub).Balance; m.cents > bal.cents {
		v.Errors = append(v.Errors, fmt.Sprintf("Your balance of %s doesn't cover this transfer.", bal))
	}
	if problem := checkText(v.Reference, "reference", maxReferenceRunes, false); problem != "" {
		v.Errors = append(v.Errors, problem)
	}
	if len(v.Errors) > 0 {
		a.renderTransferForm(w, r, http.StatusBadRequest, sub, v)
		return
	}
	t := newPaymentInitiation(p, m, v.Reference)
	a.submit(w, r, sid, sess, order{Transfer: &t})
}

func (a *App) payeePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.signedIn(w, r); !ok {
		return
	}
	a.render(w, r, http.StatusOK, "payee", "Add a payee", payeeForm{CSRF: a.csrfToken(w, r)})
}

// newPayee validates the payee form and sends the payee to the API.
func (a *App) newPayee(w http.ResponseWriter, r *http.Request) {
	sid, sess, ok := a.postedSession(w, r)
	if !ok {
		return
	}
	v := payeeForm{
		CSRF: a.csrfToken(w, r),
		Name: strings.TrimSpace(r.PostFormValue("name")),
		IBAN: strings.TrimSpace(r.PostFormValue("iban")),
	}
	if problem := checkText(v.Name, "payee's name", maxPayeeNameRunes, true); problem != "" {
		v.Errors = append(v.Errors, problem)
	}
	iban, ferr := parseIBAN(v.IBAN)
	if ferr != nil {
		v.Errors = append(v.Errors, ferr.text)
	} else if slices.ContainsFunc(a.ledger.snapshot(sess.Claims.Subject).Payees, func(p payee) bool { return p.IBAN == iban }) {
		v.Errors = append(v.Errors, "You have a payee with this IBAN already.")
	}
	if len(v.Errors) > 0 {
		a.render(w, r, http.StatusBadRequest, "payee", "Add a payee", v)
		return
	}
	p := newPayeeCreation(v.Name, iban)
	a.submit(w, r, sid, sess, order{Payee: &p})
}

// apiCreated is the part of a 201 answer the pages read.
type apiCreated struct {
	ID            string        `json:"id"`
	Authorization authorization `json:"authorization"`
}

// submit calls the API with the session's access token: done, a step-up,
// or a page saying why not.
func (a *App) submit(w http.ResponseWriter, r *http.Request, sid string, sess session, o order) {
	res, err := a.callAPI(r.Context(), o.apiPath(), sess.AccessToken, o.body())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, o.notDone("Something went wrong on our side. Nothing was changed."), err)
		return
	}
	if res.Status == http.StatusUnauthorized {
		c, err := acr.ParseChallenge(res.Challenge)
		if err == nil && c.Insufficient() {
			a.startStepUp(w, r, sid, sess, c, o)
			return
		}
		a.fail(w, r, http.StatusUnauthorized, msgSignInAgain, fmt.Errorf("%s: API refused the session's token: %q", r.URL.Path, res.Challenge))
		return
	}
	created, ok := a.apiOutcome(w, r, o, res)
	if !ok {
		return
	}
	http.Redirect(w, r, o.doneURL(created.ID), http.StatusSeeOther)
}

// apiOutcome reads a 201 answer, or shows why the order was not carried out.
func (a *App) apiOutcome(w http.ResponseWriter, r *http.Request, o order, res apiResponse) (apiCreated, bool) {
	var created apiCreated
	if res.Status == http.StatusCreated {
		if err := json.Unmarshal(res.Body, &created); err == nil && created.ID != "" {
			return created, true
		}
		a.fail(w, r, http.StatusInternalServerError, o.notDone("Something went wrong on our side."),
			fmt.Errorf("%s: unreadable API answer %q", r.URL.Path, res.Body))
		return created, false
	}
	var e apiError
	_ = json.Unmarshal(res.Body, &e) // an unreadable body leaves a generic text
	text := "The bank couldn't carry it out. Nothing was changed."
	status := http.StatusForbidden
	switch {
	case res.Status == http.StatusServiceUnavailable:
		text, status = "The bank couldn't check your sign-in right now. Nothing was changed. Please try again in a moment.", http.StatusServiceUnavailable
	case res.Status >= 500:
		status = http.StatusBadGateway
	case e.Description != "":
		text = e.Description + ". Nothing was changed."
	}
	a.fail(w, r, status, o.notDone(text), fmt.Errorf("%s: API answered %d: %s", r.URL.Path, res.Status, res.Body))
	return created, false
}

// startStepUp sends the browser to the authorization server for the level
// and freshness the API's challenge asks for, with the order as RFC 9396
// authorization_details, and keeps the order under the request's state.
func (a *App) startStepUp(w http.ResponseWriter, r *http.Request, sid string, sess session, c acr.Challenge, o order) {
	bd, err := bind(o.body())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, o.notDone("Something went wrong on our side. Nothing was changed."), err)
		return
	}
	if len(c.ACRValues) == 0 {
		a.fail(w, r, http.StatusInternalServerError, o.notDone("Something went wrong on our side. Nothing was changed."),
			fmt.Errorf("%s: challenge without acr_values: %q", r.URL.Path, c.String()))
		return
	}
	now := a.cfg.Now()
	state := rand.Text()
	p := pendingStepUp{
		SessionID: sid, Subject: sess.Claims.Subject,
		Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		ACRValues: c.ACRValues, MaxAge: c.MaxAge, HasMaxAge: c.HasMaxAge,
		Started: now, Order: o, Details: bd,
	}
	a.stepUps.put(state, p, now.Add(loginTTL), now)
	opts := []oauth2.AuthCodeOption{
		oidc.Nonce(p.Nonce),
		oauth2.S256ChallengeOption(p.Verifier),
		// Every approval is a fresh ceremony that shows these details,
		// never a remembered session.
		oauth2.SetAuthURLParam("prompt", "login"),
		oauth2.SetAuthURLParam("authorization_details", bd.Canonical),
	}
	for k, vs := range c.AuthorizeParams() {
		opts = append(opts, oauth2.SetAuthURLParam(k, vs[0]))
	}
	a.cfg.Logger.InfoContext(r.Context(), "step-up started", "sub", p.Subject, "order", o.apiPath(),
		"acr_values", c.ACRValues, "max_age", c.MaxAge, "authorization_details_hash", bd.Hash)
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, opts...), http.StatusSeeOther)
}

// approvalClaims are the ID-token claims of a transaction approval, besides
// Claims.
type approvalClaims struct {
	Details     json.RawMessage `json:"authorization_details"`
	DetailsHash string          `json:"authorization_details_hash"`
	ApprovalID  string          `json:"approval_id"`
}

// Errors of checkApproval, besides ErrInsufficientACR and ErrMissingAuthTime.
var (
	errOtherSubject    = errors.New("the approval is another customer's")
	errStaleApproval   = errors.New("auth_time is not fresh enough for this approval")
	errDetailsMismatch = errors.New("the approved authorization_details are not the ones sent")
)

// approvalSkew is how far before the step-up started its auth_time may be
// (clocks of the bank and the provider disagree a little).
const approvalSkew = time.Minute

// checkApproval checks a step-up's verified ID token against what was
// asked: the same customer; an acr satisfying one of the challenge's
// acr_values; an auth_time within max_age and not before the step-up
// started; an authorization_details_hash equal to the hash of the details
// sent, recomputed here; and approved details whose canonical form equals
// them. Every problem is reported.
func checkApproval(p pendingStepUp, c Claims, ac approvalClaims, now time.Time) error {
	var errs []error
	if c.Subject != p.Subject {
		errs = append(errs, fmt.Errorf("%w: sub %q, want %q", errOtherSubject, c.Subject, p.Subject))
	}
	if !slices.ContainsFunc(p.ACRValues, func(v string) bool { return ladder.Satisfies(c.ACR, v) }) {
		errs = append(errs, fmt.Errorf("%w: got acr %q, want %q", ErrInsufficientACR, c.ACR, p.ACRValues))
	}
	if c.AuthTime == 0 {
		errs = append(errs, ErrMissingAuthTime)
	} else {
		at := time.Unix(c.AuthTime, 0)
		if p.HasMaxAge && now.Sub(at) > p.MaxAge {
			errs = append(errs, fmt.Errorf("%w: %s old, max_age %s", errStaleApproval, now.Sub(at), p.MaxAge))
		}
		if at.Before(p.Started.Add(-approvalSkew)) {
			errs = append(errs, fmt.Errorf("%w: authenticated at %s, before the step-up started at %s", errStaleApproval, at.UTC(), p.Started.UTC()))
		}
	}
	if subtle.ConstantTimeCompare([]byte(ac.DetailsHash), []byte(p.Details.Hash)) != 1 {
		errs = append(errs, fmt.Errorf("%w: authorization_details_hash %q, want %q", errDetailsMismatch, ac.DetailsHash, p.Details.Hash))
	}
	if len(ac.Details) == 0 {
		errs = append(errs, fmt.Errorf("%w: no authorization_details claim", errDetailsMismatch))
	} else if ds, err := acr.ParseAuthorizationDetails(string(ac.Details)); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", errDetailsMismatch, err))
	} else if got := string(ds.Canonical()); got != p.Details.Canonical {
		errs = append(errs, fmt.Errorf("%w: approved %s, sent %s", errDetailsMismatch, got, p.Details.Canonical))
	}
	return errors.Join(errs...)
}

// finishStepUp completes a step-up at the callback: the browser must be
// the one that started it; a refusal by the provider ends it; otherwise the
// code is redeemed, the approval checked, and the order sent to the API
// with the new access token. Nothing is carried out before every check
// passes, and a second challenge does not start another step-up.
func (a *App) finishStepUp(w http.ResponseWriter, r *http.Request, p pendingStepUp) {
	o := p.Order
	sid, _, ok := a.currentSessionID(r)
	if !ok || subtle.ConstantTimeCompare([]byte(sid), []byte(p.SessionID)) != 1 {
		a.fail(w, r, http.StatusBadRequest, o.notDone("Your session ended, or the approval was started in another browser. Sign in and start over."),
			errors.New("step-up callback: not the session that started it"))
		return
	}
	q := r.URL.Query()
	if code := q.Get("error"); code != "" {
		m := o.notDone(stepUpRefusalText(code))
		if d := cleanDescription(q.Get("error_description")); d != "" {
			m.Detail = "The sign-in service said: " + d
		}
		a.fail(w, r, http.StatusForbidden, m, fmt.Errorf("step-up callback: authorization error %q: %s", code, q.Get("error_description")))
		return
	}
	s, idt, err := a.redeem(r.Context(), q.Get("code"), p.Verifier, p.Nonce)
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, o.notDone("We couldn't check your approval. Nothing was changed."), fmt.Errorf("step-up: %w", err))
		return
	}
	if s.Claims.Subject == p.Subject {
		// The step-up replaced the provider's login session (prompt=login):
		// its ID token is the id_token_hint logout needs from now on.
		a.sessions.update(sid, func(old session) session {
			old.IDToken = s.IDToken
			return old
		}, a.cfg.Now())
	}
	var ac approvalClaims
	if err := idt.Claims(&ac); err != nil {
		a.fail(w, r, http.StatusBadGateway, o.notDone("We couldn't check your approval. Nothing was changed."), fmt.Errorf("step-up: read approval claims: %w", err))
		return
	}
	if err := checkApproval(p, s.Claims, ac, a.cfg.Now()); err != nil {
		a.fail(w, r, http.StatusForbidden, o.notDone("The approval that came back doesn't match what you asked for, or isn't strong or recent enough. For your security nothing was changed."),
			fmt.Errorf("step-up: approval refused: %w", err))
		return
	}
	res, err := a.callAPI(r.Context(), o.apiPath(), s.AccessToken, o.body())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, o.notDone("Something went wrong on our side. Nothing was changed."), err)
		return
	}
	if res.Status == http.StatusUnauthorized {
		a.fail(w, r, http.StatusForbidden, o.notDone("The bank didn't accept the approval for this. Nothing was changed."),
			fmt.Errorf("step-up: API refused the approved token: %q %s", res.Challenge, res.Body))
		return
	}
	created, ok := a.apiOutcome(w, r, o, res)
	if !ok {
		return
	}
	if created.Authorization.ApprovalID == "" && ac.ApprovalID != "" {
		a.ledger.setApprovalID(p.Subject, created.ID, ac.ApprovalID)
	}
	a.cfg.Logger.InfoContext(r.Context(), "step-up completed", "sub", p.Subject, "order", o.apiPath(), "id", created.ID,
		"acr", s.Claims.ACR, "approval_id", ac.ApprovalID)
	http.Redirect(w, r, o.doneURL(created.ID), http.StatusSeeOther)
}

// stepUpRefusalText explains an OAuth error sent to the callback of a step-up.
func stepUpRefusalText(code string) string {
	switch code {
	case "unmet_authentication_requirements":
		return "Your sign-in couldn't reach the level this needs: your passkey together with a live face check. Nothing was changed."
	case "access_denied":
		return "The approval was cancelled or refused. Nothing was changed."
	case "login_required", "interaction_required":
		return "The approval needed you to sign in again and couldn't. Nothing was changed."
	default:
		return "Something interrupted the approval. Nothing was changed."
	}
}

// maxDescriptionRunes bounds the provider's error_description on a page.
const maxDescriptionRunes = 300

// cleanDescription makes an error_description from the query string fit to
// show as text: no control characters, bounded length. html/template
// escapes it.
func cleanDescription(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > maxDescriptionRunes {
		s = string(r[:maxDescriptionRunes]) + "…"
	}
	return s
}

// transferDone confirms a transfer of the signed-in customer.
func (a *App) transferDone(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	t, ok := a.ledger.transfer(sess.Claims.Subject, r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	amount := t.Amount.Amount()
	need, err := a.policy.Requirement(actionTransfer, &amount)
	v := doneView{
		Heading: "Transfer made",
		Facts: []fact{
			{"Amount", t.Amount.String(), "done-amount"},
			{"To", t.PayeeName, "done-payee"},
			{"IBAN", formatIBAN(t.IBAN), "done-iban"},
			{"Reference", t.Reference, "done-reference"},
			{"Balance now", a.ledger.snapshot(sess.Claims.Subject).Balance.String(), "done-balance"},
			{"Transfer id", t.ID, "done-id"},
		},
		Auth: newAuthView(t.MadeWith),
		Next: []link{{Href: "/account", Label: "Back to your account", ID: "back"}, {Href: "/transfers/new", Label: "New transfer", ID: "new-transfer"}},
	}
	if t.Reference == "" {
		v.Facts = slices.Delete(v.Facts, 3, 4)
	}
	if rank, _ := ladder.Rank(need.ACR); err == nil && rank > 0 {
		v.Auth.NeededStepUp = true
	}
	a.render(w, r, http.StatusOK, "done", "Transfer made", v)
}

// payeeDone confirms a new payee of the signed-in customer.
func (a *App) payeeDone(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	p, ok := a.ledger.payee(sess.Claims.Subject, r.PathValue("id"))
	if !ok {
		a.notFound(w, r)
		return
	}
	v := doneView{
		Heading: "Payee added",
		Facts: []fact{
			{"Name", p.Name, "done-payee"},
			{"IBAN", formatIBAN(p.IBAN), "done-iban"},
			{"Payee id", p.ID, "done-id"},
		},
		Auth: newAuthView(p.AddedBy),
		Next: []link{{Href: "/transfers/new?payee=" + p.ID, Label: "Send money to " + p.Name, ID: "new-transfer"}, {Href: "/account", Label: "Back to your account", ID: "back"}},
	}
	need, err := a.policy.Requirement(actionAddPayee, nil)
	if rank, _ := ladder.Rank(need.ACR); err == nil && rank > 0 {
		v.Auth.NeededStepUp = true
	}
	a.render(w, r, http.StatusOK, "done", "Payee added", v)
}
