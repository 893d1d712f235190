package sandbox

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

//go:embed templates/*.html static/sandbox.css
var assets embed.FS

const (
	// maxFormBody bounds the capture form's body, in bytes.
	maxFormBody = 4 << 10
	// csrfField and choiceField name the capture form's fields.
	csrfField   = "csrf"
	choiceField = "outcome"

	cspBase         = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
	htmlContentType = "text/html; charset=utf-8"
)

// pages are the parsed templates, one set per page.
type pages struct {
	capture  *template.Template
	finished *template.Template
	error    *template.Template
	css      []byte
}

func loadPages() *pages {
	parse := func(name string) *template.Template {
		return template.Must(template.New(name).ParseFS(assets, "templates/layout.html", "templates/"+name))
	}
	css, err := assets.ReadFile("static/sandbox.css")
	if err != nil {
		panic("sandbox: embedded stylesheet missing: " + err.Error())
	}
	return &pages{
		capture:  parse("capture.html"),
		finished: parse("finished.html"),
		error:    parse("error.html"),
		css:      css,
	}
}

// Handler serves the hosted capture flow at BaseURL's path (see the
// package documentation for the routes); the host mounts it at
// Path() + "/". Every page carries the SANDBOX banner (#sandbox-banner) and
// a strict Content-Security-Policy: no script at all, styles only from the
// embedded stylesheet. Cross-origin POSTs are refused before the form token
// is even looked at.
func (p *Provider) Handler() http.Handler {
	base := p.base.Path
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"/capture/{run}", p.serveCapture)
	mux.HandleFunc("POST "+base+"/capture/{run}", p.submitCapture)
	mux.HandleFunc("GET "+base+"/static/sandbox.css", p.serveCSS)
	mux.HandleFunc(base+"/", func(w http.ResponseWriter, r *http.Request) {
		p.renderError(w, http.StatusNotFound, "Page not found", "There is no sandbox page at this address.")
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.log.WarnContext(r.Context(), "sandbox refused a cross-origin request", "path", r.URL.Path)
		p.renderError(w, http.StatusForbidden, "Request refused", "This form was sent from another site. Open the check again from the app.")
	}))
	return securityHeaders(cop.Handler(mux))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspBase+"; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The run id in the URL is the capture's only key: never leak it.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Robots-Tag", "noindex")
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(p.pages.css)
}

// runView is what a page needs of a run, copied under the lock.
type runView struct {
	outcome   idvbridge.Outcome
	journey   idvbridge.Journey
	csrf      string
	returnURL string
	expires   string
	unmatched bool // step-up or recovery whose reference is not the user's
}

func (p *Provider) view(runID string) (runView, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.runLocked(runID)
	if err != nil {
		return runView{}, false
	}
	return runView{
		outcome:   r.outcome(),
		journey:   r.journey,
		csrf:      r.csrf,
		returnURL: r.returnURL,
		expires:   r.expiresAt.Format("2 Jan 2006, 15:04 UTC"),
		unmatched: r.journey != idvbridge.JourneyEnrollment && !p.enrolledLocked(r),
	}, true
}

func (p *Provider) serveCapture(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run")
	v, ok := p.view(runID)
	if !ok {
		p.renderUnknown(w)
		return
	}
	if v.outcome.Status != idvbridge.StatusPending {
		p.renderFinished(w, v, false)
		return
	}
	p.render(w, p.pages.capture, http.StatusOK, "Identity check", p.captureView(runID, v), formOrigin(v.returnURL))
}

func (p *Provider) submitCapture(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		p.renderError(w, http.StatusBadRequest, "Request not understood", "The form could not be read. Go back, reload the page and choose again.")
		return
	}
	v, ok := p.view(runID)
	if !ok {
		p.renderUnknown(w)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(csrfField)), []byte(v.csrf)) != 1 {
		p.log.WarnContext(r.Context(), "sandbox capture form refused: bad or missing form token", "run_id", runID)
		p.renderError(w, http.StatusForbidden, "Request refused", "This form could not be checked. Go back, reload the page and choose again.")
		return
	}
	choice := Choice(r.PostForm.Get(choiceField))
	if _, _, ok := choice.Want(); !ok {
		p.renderError(w, http.StatusBadRequest, "Unknown choice", "Choose one of the results on the capture page.")
		return
	}
	o, err := p.Complete(r.Context(), runID, choice)
	switch {
	case errors.Is(err, ErrFinished):
		if v, ok := p.view(runID); ok {
			p.renderFinished(w, v, true)
			return
		}
		p.renderUnknown(w)
		return
	case errors.Is(err, idvbridge.ErrNotFound):
		p.renderUnknown(w)
		return
	case err != nil:
		p.log.ErrorContext(r.Context(), "sandbox could not complete a run", "run_id", runID, "error", err)
		p.renderError(w, http.StatusInternalServerError, "Something went wrong", "The sandbox could not record your choice. Try again.")
		return
	}
	if v.returnURL != "" {
		// Verbatim: validated by Start, nothing appended.
		http.Redirect(w, r, v.returnURL, http.StatusSeeOther)
		return
	}
	p.render(w, p.pages.finished, http.StatusOK, "Check finished", finishedView{
		Heading: "Check finished",
		Message: "The sandbox recorded this result. You can close this window and return to the app.",
		Result:  resultLabel(o),
	}, "")
}

// captureView is the capture page's data.
type captureView struct {
	JourneyLabel string
	Heading      string
	Lead         string
	Steps        []string
	Action       string
	CSRF         string
	RunID        string
	UserID       string
	ExpiresAt    string
	ReturnHost   string
	Unmatched    bool
	Choices      []choiceView
}

type choiceView struct {
	ID, Value, Label, Hint string
	Primary                bool
}

func (p *Provider) captureView(runID string, v runView) captureView {
	c := captureView{
		Action:    p.base.Path + "/capture/" + runID,
		CSRF:      v.csrf,
		RunID:     runID,
		UserID:    v.outcome.UserID,
		ExpiresAt: v.expires,
		Unmatched: v.unmatched,
	}
	if u, err := url.Parse(v.returnURL); err == nil && v.returnURL != "" {
		c.ReturnHost = u.Host
	}
	livePass, liveDecline := "The person matches the enrolled reference", "The person does not match"
	switch v.journey {
	case idvbridge.JourneyEnrollment:
		c.JourneyLabel = "Enrollment"
		c.Heading = "Verify your identity"
		c.Lead = "We'll take a short video selfie and compare it with your ID document."
		c.Steps = []string{
			"Have your photo ID ready: a passport, driving licence or national identity card.",
			"Photograph the document, front and back if it has two sides.",
			"Record a short video selfie: look at the camera and turn your head when asked.",
			"We check that it's a live person and compare your face with the photo on the document. If they match, a reference is kept to recognise you later.",
		}
		livePass, liveDecline = "Document and selfie match; a reference is kept", "The selfie does not match the document"
	case idvbridge.JourneyRecovery:
		c.JourneyLabel = "Account recovery"
		c.Heading = "Recover your account"
		c.Lead = "Look at the camera — we compare you with the person who enrolled."
		c.Steps = liveSteps("If it's you, you can set up a passkey on this device.")
	default:
		c.JourneyLabel = "Step-up"
		c.Heading = "Confirm it's you"
		c.Lead = "Look at the camera — we compare you with the person who enrolled."
		c.Steps = liveSteps("")
	}
	c.Choices = []choiceView{
		{"outcome-pass", string(ChoicePass), "Pass", livePass, true},
		{"outcome-declined", string(ChoiceDeclined), "Declined", liveDecline, false},
		{"outcome-review", string(ChoiceReview), "Needs review", "A person must review it; not a pass", false},
		{"outcome-abandoned", string(ChoiceAbandoned), "Abandon", "The user leaves the capture", false},
		{"outcome-error", string(ChoiceError), "Error", "The provider cannot process it", false},
		{"outcome-expire", string(ChoiceExpired), "Let it expire", "Time runs out before the user finishes", false},
	}
	return c
}

func liveSteps(last string) []string {
	s := []string{
		"Find good light and uncover your face: no hat, mask or sunglasses.",
		"Look at the camera and follow the prompts on the screen.",
		"We check that it's a live person and compare you with the reference kept when you enrolled.",
	}
	if last != "" {
		s = append(s, last)
	}
	return s
}

// finishedView is the data of the page for a finished run.
type finishedView struct {
	Heading   string
	Message   string
	Result    string
	ReturnURL string
}

// renderFinished renders a run that is no longer pending: expired runs get
// 410, others their result (409 when a POST came too late).
func (p *Provider) renderFinished(w http.ResponseWriter, v runView, conflict bool) {
	fv := finishedView{
		Heading:   "This check has finished",
		Message:   "A result has already been recorded for this check; it cannot be changed.",
		Result:    resultLabel(v.outcome),
		ReturnURL: v.returnURL,
	}
	status := http.StatusOK
	if conflict {
		status = http.StatusConflict
	}
	if v.outcome.Reason == idvbridge.ReasonExpired {
		fv.Heading = "This check has expired"
		fv.Message = "It ran out of time before a result was chosen. Start again from the app."
		status = http.StatusGone
	}
	p.render(w, p.pages.finished, status, fv.Heading, fv, "")
}

func (p *Provider) renderUnknown(w http.ResponseWriter) {
	p.renderError(w, http.StatusNotFound, "Check not found",
		"We couldn't find this check. It may have been mistyped, or the sandbox restarted and forgot it (it keeps checks in memory only). Start again from the app.")
}

type errorView struct {
	Heading string
	Message string
}

func (p *Provider) renderError(w http.ResponseWriter, status int, heading, message string) {
	p.render(w, p.pages.error, status, heading, errorView{heading, message}, "")
}

type layoutView struct {
	Title string
	CSS   string
	Body  any
}

// render executes a page into a buffer and writes it with status. A
// non-empty formOrigin is allowed as a form-action target, so the redirect
// after the capture form may leave for the check's return URL.
func (p *Provider) render(w http.ResponseWriter, t *template.Template, status int, title string, body any, formOrigin string) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", layoutView{Title: title, CSS: p.base.Path + "/static/sandbox.css", Body: body}); err != nil {
		p.log.Error("sandbox page failed to render", "title", title, "error", err)
		http.Error(w, "SANDBOX: internal error", http.StatusInternalServerError)
		return
	}
	if formOrigin != "" {
		w.Header().Set("Content-Security-Policy", cspBase+"; form-action 'self' "+formOrigin)
	}
	w.Header().Set("Content-Type", htmlContentType)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// resultLabel names an outcome the way the capture page's buttons do.
func resultLabel(o idvbridge.Outcome) string {
	if o.Status == idvbridge.StatusPassed {
		return "Passed"
	}
	switch o.Reason {
	case idvbridge.ReasonDeclined:
		return "Declined"
	case idvbridge.ReasonReview:
		return "Needs review"
	case idvbridge.ReasonAbandoned:
		return "Abandoned"
	case idvbridge.ReasonError:
		return "Error"
	case idvbridge.ReasonExpired:
		return "Expired"
	}
	return "Pending"
}

// hostPattern is what a URL host may look like to be put into a
// Content-Security-Policy source: a name or IPv4 address, or a bracketed
// IPv6 address, with an optional port.
var hostPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// originOf returns scheme://host of an http(s) URL, or "" if its host is
// not plainly a host name.
func originOf(u *url.URL) string {
	if (u.Scheme != "http" && u.Scheme != "https") || !hostPattern.MatchString(u.Host) {
		return ""
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// formOrigin returns the return URL's origin for form-action, or "".
func formOrigin(returnURL string) string {
	if returnURL == "" {
		return ""
	}
	u, err := url.Parse(returnURL)
	if err != nil {
		return ""
	}
	return originOf(u)
}
