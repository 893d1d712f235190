package onfidofake

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config configures a Server.
type Config struct {
	// APIToken is the only token the fake accepts.
	APIToken string
	// WebhookToken signs the notifications Webhook returns.
	WebhookToken string
	// EnrollmentWorkflows are workflow ids whose approved runs store a
	// biometric token for the run's customer user id.
	EnrollmentWorkflows []string
	// AuthenticationWorkflows are workflow ids whose runs match a capture
	// against the customer user id's approved biometric tokens.
	AuthenticationWorkflows []string
	// Now is the fake's clock; default time.Now.
	Now func() time.Time
}

// Fault is a canned answer for one request.
type Fault struct {
	Status  int
	Header  http.Header // e.g. Retry-After
	Type    string      // error type; default by status
	Message string
}

// Request is what the fake recorded of a request it received.
type Request struct {
	Method string
	Path   string // escaped, with the /v3.6 prefix
}

// WorkflowRun is a run as the fake stores it.
type WorkflowRun struct {
	ID             string
	WorkflowID     string
	ApplicantID    string
	CustomerUserID string
	Status         string
	Tags           []string
	CustomData     map[string]any
	SDKToken       string
	LinkURL        string
	CompletedURL   string    // link.completed_redirect_url
	ExpiredURL     string    // link.expired_redirect_url
	ExpiresAt      time.Time // link.expires_at; zero when not set
	Language       string    // link.language
	ErrorType      string
	ErrorMessage   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	href           string
}

// Token is a stored biometric token.
type Token struct {
	UUID       string
	UserID     string
	Status     string
	MediaType  string
	InsertedAt time.Time
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	cfg Config

	mu         sync.Mutex
	applicants map[string]bool
	runs       map[string]*WorkflowRun
	tokens     map[string][]*Token // customer user id → tokens
	faults     []Fault
	requests   []Request
}

// New returns an empty fake.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{
		cfg:        cfg,
		applicants: map[string]bool{},
		runs:       map[string]*WorkflowRun{},
		tokens:     map[string][]*Token{},
	}
}

// Statuses a run can end in (workflow_run_status).
var finalStatuses = []string{"approved", "declined", "review", "abandoned", "error"}

// InjectFaults queues canned answers: each of the next len(f) requests
// gets one, before authentication or routing.
func (s *Server) InjectFaults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// WorkflowRun returns a copy of a stored run.
func (s *Server) WorkflowRun(id string) (WorkflowRun, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[id]
	if !ok {
		return WorkflowRun{}, false
	}
	c := *r
	c.Tags = slices.Clone(r.Tags)
	return c, true
}

// Tokens returns copies of a user's biometric tokens.
func (s *Server) Tokens(userID string) []Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Token
	for _, t := range s.tokens[userID] {
		out = append(out, *t)
	}
	return out
}

// Complete ends a run that has not ended with status (approved, declined,
// review, abandoned or error), as the workflow would after the user's
// capture.
func (s *Server) Complete(runID, status string) error {
	if !slices.Contains(finalStatuses, status) {
		return fmt.Errorf("onfidofake: %q is not a final workflow run status", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[runID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownRun, runID)
	}
	if slices.Contains(finalStatuses, r.Status) {
		return fmt.Errorf("onfidofake: run %s already ended %s", runID, r.Status)
	}
	now := s.cfg.Now().UTC()
	switch {
	case status == "approved" && slices.Contains(s.cfg.EnrollmentWorkflows, r.WorkflowID) && r.CustomerUserID != "":
		s.tokens[r.CustomerUserID] = append(s.tokens[r.CustomerUserID], &Token{
			UUID: uuid4(), UserID: r.CustomerUserID, Status: "approved", MediaType: "motion_capture", InsertedAt: now,
		})
	case status == "approved" && slices.Contains(s.cfg.AuthenticationWorkflows, r.WorkflowID):
		if !slices.ContainsFunc(s.tokens[r.CustomerUserID], func(t *Token) bool { return t.Status == "approved" }) {
			status = "declined" // nothing to match the capture against
		}
	case status == "error":
		r.ErrorType, r.ErrorMessage = "processing_error", "The workflow run could not be processed."
	}
	r.Status, r.UpdatedAt = status, now
	return nil
}

// SetStatus sets a run's status to anything, documented or not, without
// side effects: for testing how an adapter maps what the API might send.
func (s *Server) SetStatus(runID, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[runID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownRun, runID)
	}
	r.Status, r.UpdatedAt = status, s.cfg.Now().UTC()
	return nil
}

// Sign returns the X-SHA2-Signature value for body: the lowercase hex
// HMAC-SHA256 keyed with the webhook token.
func (s *Server) Sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(s.cfg.WebhookToken))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Webhook returns the signed notification Onfido would deliver for a run
// now: workflow_run.completed with the run as its resource once the run
// has ended, else workflow_task.started of its capture task.
func (s *Server) Webhook(runID string) (http.Header, []byte, error) {
	s.mu.Lock()
	r, ok := s.runs[runID]
	var event any
	if ok {
		event = s.eventLocked(r)
	}
	s.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownRun, runID)
	}
	body, err := json.Marshal(event)
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-SHA2-Signature", s.Sign(body))
	return h, body, nil
}

func (s *Server) eventLocked(r *WorkflowRun) any {
	type object struct {
		ID            string `json:"id"`
		TaskSpecID    string `json:"task_spec_id,omitempty"`
		TaskDefID     string `json:"task_def_id,omitempty"`
		WorkflowRunID string `json:"workflow_run_id,omitempty"`
		Status        string `json:"status"`
		StartedAt     string `json:"started_at_iso8601,omitempty"`
		CompletedAt   string `json:"completed_at_iso8601,omitempty"`
		Href          string `json:"href"`
	}
	type payload struct {
		ResourceType string `json:"resource_type"`
		Action       string `json:"action"`
		Object       object `json:"object"`
		Resource     any    `json:"resource"`
	}
	if slices.Contains(finalStatuses, r.Status) {
		return map[string]any{"payload": payload{
			ResourceType: "workflow_run",
			Action:       "workflow_run.completed",
			Object:       object{ID: r.ID, Status: r.Status, CompletedAt: formatTime(r.UpdatedAt), Href: r.href},
			Resource:     runJSON(r),
		}}
	}
	task := "face_capture_" + r.ID[:5]
	return map[string]any{"payload": payload{
		ResourceType: "workflow_task",
		Action:       "workflow_task.started",
		Object: object{ID: task, TaskSpecID: task, TaskDefID: "face_capture", WorkflowRunID: r.ID,
			Status: "started", StartedAt: formatTime(r.CreatedAt), Href: r.href + "/tasks/" + task},
		Resource: map[string]any{
			"created_at": formatTime(r.CreatedAt), "id": task, "workflow_run_id": r.ID,
			"updated_at": formatTime(r.CreatedAt), "input": map[string]any{}, "task_def_version": nil,
			"task_def_id": "face_capture", "output": nil,
		},
	}}
}

// ServeHTTP serves the API under /v3.6.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath()})
	var fault *Fault
	if len(s.faults) > 0 {
		fault = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if fault != nil {
		for k, v := range fault.Header {
			w.Header()[k] = v
		}
		typ, msg := fault.Type, fault.Message
		if typ == "" {
			typ = defaultType(fault.Status)
		}
		if msg == "" {
			msg = http.StatusText(fault.Status)
		}
		writeError(w, fault.Status, typ, msg, nil)
		return
	}

	// Specification: security scheme Token, header Authorization; the
	// value is "Token token=<API_TOKEN>".
	if got := r.Header.Get("Authorization"); s.cfg.APIToken == "" ||
		!hmac.Equal([]byte(got), []byte("Token token="+s.cfg.APIToken)) {
		writeError(w, http.StatusUnauthorized, "authorization_error", "Authorization error: please re-check your credentials", nil)
		return
	}

	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v3.6/")
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
		return
	}
	var segs []string
	for seg := range strings.SplitSeq(rest, "/") {
		u, err := url.PathUnescape(seg)
		if err != nil || u == "" {
			writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
			return
		}
		segs = append(segs, u)
	}

	switch {
	case len(segs) == 1 && segs[0] == "applicants":
		s.route(w, r, map[string]handler{http.MethodPost: s.createApplicant})
	case len(segs) == 1 && segs[0] == "workflow_runs":
		s.route(w, r, map[string]handler{http.MethodPost: s.createRun})
	case len(segs) == 2 && segs[0] == "workflow_runs":
		s.route(w, r, map[string]handler{http.MethodGet: func(w http.ResponseWriter, _ map[string]any) { s.getRun(w, segs[1]) }})
	case len(segs) == 2 && segs[0] == "biometric_tokens":
		s.route(w, r, map[string]handler{
			http.MethodGet:    func(w http.ResponseWriter, _ map[string]any) { s.listTokens(w, segs[1]) },
			http.MethodDelete: func(w http.ResponseWriter, _ map[string]any) { s.deleteTokens(w, segs[1]) },
		})
	case len(segs) == 3 && segs[0] == "biometric_tokens":
		s.route(w, r, map[string]handler{
			http.MethodGet:    func(w http.ResponseWriter, _ map[string]any) { s.getToken(w, segs[1], segs[2]) },
			http.MethodPut:    func(w http.ResponseWriter, b map[string]any) { s.putToken(w, segs[1], segs[2], b) },
			http.MethodDelete: func(w http.ResponseWriter, _ map[string]any) { s.deleteToken(w, segs[1], segs[2]) },
		})
	default:
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
	}
}

// handler serves one method of a route; body is the decoded JSON object
// for methods that take one.
type handler func(w http.ResponseWriter, body map[string]any)

// route dispatches on the method and, for POST and PUT, checks the content
// type and decodes the body as a JSON object.
func (s *Server) route(w http.ResponseWriter, r *http.Request, methods map[string]handler) {
	h, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed.", nil)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		h(w, nil)
		return
	}
	// Specification: requestBody content application/json.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json.", nil)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(raw) > 1<<20 {
		writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request body too large.", nil)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || dec.More() || body == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "The request body is not a JSON object.", nil)
		return
	}
	h(w, body)
}

// fields collects per-field validation problems.
type fields map[string][]string

func (f fields) add(name, msg string) { f[name] = append(f[name], msg) }

func (f fields) write(w http.ResponseWriter) bool {
	if len(f) == 0 {
		return false
	}
	writeError(w, http.StatusUnprocessableEntity, "validation_error", "There was a validation error on this request", f)
	return true
}

// namePattern is applicant_first_name / applicant_last_name's pattern.
var namePattern = regexp.MustCompile(`^[^!#$%*=<>;{}"]*$`)

// createApplicant is POST /applicants (applicant_builder).
func (s *Server) createApplicant(w http.ResponseWriter, b map[string]any) {
	f := fields{}
	for _, name := range []string{"first_name", "last_name"} {
		v, present := b[name]
		str, isStr := v.(string)
		switch {
		case !present || v == nil:
			f.add(name, "is required")
		case !isStr:
			f.add(name, "must be a string")
		case strings.TrimSpace(str) == "":
			f.add(name, "can't be blank")
		case !namePattern.MatchString(str):
			f.add(name, "contains characters that are not allowed")
		}
	}
	for _, name := range []string{"email", "dob", "phone_number"} {
		if v, present := b[name]; present && v != nil {
			if _, ok := v.(string); !ok {
				f.add(name, "must be a string")
			}
		}
	}
	if f.write(w) {
		return
	}
	id := uuid4()
	s.mu.Lock()
	s.applicants[id] = true
	s.mu.Unlock()
	now := formatTime(s.cfg.Now())
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": id, "created_at": now, "first_name": b["first_name"], "last_name": b["last_name"],
		"href": "/v3.6/applicants/" + id, "sandbox": true,
	})
}

var languages = []string{"en_US", "de_DE", "es_ES", "fr_FR", "it_IT", "pt_PT", "nl_NL"}

// createRun is POST /workflow_runs (workflow_run_builder).
func (s *Server) createRun(w http.ResponseWriter, b map[string]any) {
	f := fields{}
	s.mu.Lock()
	defer s.mu.Unlock()

	workflowID := requiredUUID(f, b, "workflow_id")
	if workflowID != "" && !slices.Contains(s.cfg.EnrollmentWorkflows, workflowID) && !slices.Contains(s.cfg.AuthenticationWorkflows, workflowID) {
		f.add("workflow_id", "workflow not found")
	}
	applicantID := requiredUUID(f, b, "applicant_id")
	if applicantID != "" && !s.applicants[applicantID] {
		f.add("applicant_id", "applicant not found")
	}
	run := &WorkflowRun{ID: uuid4(), WorkflowID: workflowID, ApplicantID: applicantID, Status: "awaiting_input"}

	if v, present := b["customer_user_id"]; present && v != nil {
		str, ok := v.(string)
		switch {
		case !ok:
			f.add("customer_user_id", "must be a string")
		case len(str) > 256:
			f.add("customer_user_id", "is too long (maximum is 256 characters)")
		default:
			run.CustomerUserID = str
		}
	}
	if v, present := b["tags"]; present && v != nil {
		items, ok := v.([]any)
		switch {
		case !ok:
			f.add("tags", "must be an array")
		case len(items) > 30:
			f.add("tags", "has too many items (maximum is 30)")
		default:
			for i, item := range items {
				str, ok := item.(string)
				switch {
				case !ok:
					f.add(fmt.Sprintf("tags[%d]", i), "must be a string")
				case len(str) < 1 || len(str) > 128:
					f.add(fmt.Sprintf("tags[%d]", i), "must be 1 to 128 characters")
				default:
					run.Tags = append(run.Tags, str)
				}
			}
		}
	}
	if v, present := b["custom_data"]; present && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			f.add("custom_data", "must be an object")
		}
		run.CustomData = m
	}
	if v, present := b["link"]; present && v != nil {
		link, ok := v.(map[string]any)
		if !ok {
			f.add("link", "must be an object")
		}
		run.CompletedURL = optionalString(f, link, "link.completed_redirect_url", "completed_redirect_url")
		run.ExpiredURL = optionalString(f, link, "link.expired_redirect_url", "expired_redirect_url")
		if at := optionalString(f, link, "link.expires_at", "expires_at"); at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				f.add("link.expires_at", "must be a date-time")
			}
			run.ExpiresAt = t.UTC()
		}
		if lang := optionalString(f, link, "link.language", "language"); lang != "" {
			if !slices.Contains(languages, lang) {
				f.add("link.language", "is not one of "+strings.Join(languages, ", "))
			}
			run.Language = lang
		}
	}
	if f.write(w) {
		return
	}

	now := s.cfg.Now().UTC().Truncate(time.Second)
	run.CreatedAt, run.UpdatedAt = now, now
	run.SDKToken = "fake-sdk-token." + randomString(24)
	run.LinkURL = "https://studio.onfido.invalid/l/" + randomString(12)
	run.href = "/v3.6/workflow_runs/" + run.ID
	s.runs[run.ID] = run
	writeJSON(w, http.StatusCreated, runJSON(run))
}

// getRun is GET /workflow_runs/{id}.
func (s *Server) getRun(w http.ResponseWriter, id string) {
	s.mu.Lock()
	r, ok := s.runs[id]
	var body any
	if ok {
		body = runJSON(r)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listTokens(w http.ResponseWriter, user string) {
	s.mu.Lock()
	list := []any{}
	for _, t := range s.tokens[user] {
		list = append(list, tokenJSON(t))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"biometric_tokens": list})
}

func (s *Server) deleteTokens(w http.ResponseWriter, user string) {
	s.mu.Lock()
	n := len(s.tokens[user])
	delete(s.tokens, user)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"biometric_tokens": map[string]any{"deleted_items": map[string]any{"count": n}}})
}

func (s *Server) findTokenLocked(user, id string) (int, bool) {
	i := slices.IndexFunc(s.tokens[user], func(t *Token) bool { return t.UUID == id })
	return i, i >= 0
}

func (s *Server) getToken(w http.ResponseWriter, user, id string) {
	s.mu.Lock()
	i, ok := s.findTokenLocked(user, id)
	var body any
	if ok {
		body = map[string]any{"biometric_token": tokenJSON(s.tokens[user][i])}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// putToken is PUT /biometric_tokens/{user_id}/{token_uuid}
// (biometric_token_updater: status approved|declined).
func (s *Server) putToken(w http.ResponseWriter, user, id string, b map[string]any) {
	f := fields{}
	status, _ := b["status"].(string)
	if status != "approved" && status != "declined" {
		f.add("status", "must be approved or declined")
	}
	if f.write(w) {
		return
	}
	s.mu.Lock()
	i, ok := s.findTokenLocked(user, id)
	var body any
	if ok {
		s.tokens[user][i].Status = status
		body = map[string]any{"biometric_token": tokenJSON(s.tokens[user][i])}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) deleteToken(w http.ResponseWriter, user, id string) {
	s.mu.Lock()
	i, ok := s.findTokenLocked(user, id)
	if ok {
		s.tokens[user] = slices.Delete(s.tokens[user], i, i+1)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "resource_not_found", "The requested resource could not be found.", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"biometric_token": map[string]any{"deleted_items": map[string]any{"count": 1}}})
}

// requiredUUID reads a required string field in UUID form.
func requiredUUID(f fields, b map[string]any, name string) string {
	v, present := b[name]
	str, isStr := v.(string)
	switch {
	case !present || v == nil || (isStr && str == ""):
		f.add(name, "is required")
	case !isStr:
		f.add(name, "must be a string")
	case !uuidPattern.MatchString(str):
		f.add(name, "must be a valid UUID")
	default:
		return str
	}
	return ""
}

// optionalString reads a nullable string field of m.
func optionalString(f fields, m map[string]any, field, key string) string {
	v, present := m[key]
	if !present || v == nil {
		return ""
	}
	str, ok := v.(string)
	if !ok {
		f.add(field, "must be a string")
	}
	return str
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// runJSON is the Workflow Run object (workflow_run.yaml).
func runJSON(r *WorkflowRun) map[string]any {
	var runErr any
	if r.ErrorType != "" {
		runErr = map[string]any{"type": r.ErrorType, "message": r.ErrorMessage}
	}
	var expires any
	if !r.ExpiresAt.IsZero() {
		expires = formatTime(r.ExpiresAt)
	}
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{
		"id":                  r.ID,
		"applicant_id":        r.ApplicantID,
		"workflow_id":         r.WorkflowID,
		"workflow_version_id": 1,
		"dashboard_url":       "https://dashboard.onfido.invalid/results/" + r.ID,
		"status":              r.Status,
		"output":              nil,
		"reasons":             []string{},
		"error":               runErr,
		"sdk_token":           r.SDKToken,
		"link": map[string]any{
			"url":                    r.LinkURL,
			"completed_redirect_url": nullable(r.CompletedURL),
			"expired_redirect_url":   nullable(r.ExpiredURL),
			"expires_at":             expires,
			"language":               nullable(r.Language),
		},
		"created_at":       formatTime(r.CreatedAt),
		"updated_at":       formatTime(r.UpdatedAt),
		"tags":             tags,
		"customer_user_id": r.CustomerUserID,
	}
}

// tokenJSON is the Biometric token object.
func tokenJSON(t *Token) map[string]any {
	return map[string]any{
		"uuid": t.UUID,
		"data": map[string]any{"inserted_at": formatTime(t.InsertedAt), "media_type": t.MediaType, "status": t.Status},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func defaultType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit"
	case status >= 500:
		return "internal_server_error"
	case status == http.StatusNotFound:
		return "resource_not_found"
	case status == http.StatusUnprocessableEntity:
		return "validation_error"
	}
	return "error"
}

// writeError writes the documented error shape.
func writeError(w http.ResponseWriter, status int, typ, msg string, f fields) {
	e := map[string]any{"type": typ, "message": msg}
	if len(f) > 0 {
		e["fields"] = f
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func uuid4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrUnknownRun is returned by Complete, SetStatus and Webhook for a run
// the fake does not have.
var ErrUnknownRun = errors.New("onfidofake: unknown run")
