package onfidofake_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
)

const (
	token    = "api_sandbox.test-token"
	hookKey  = "webhook-signing-token-0123456789"
	wfEnroll = "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161"
	wfAuth   = "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272"
	unknown  = "9d3c2b1a-0000-4000-8000-000000000000"
)

var t0 = time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC)

func newServer(t *testing.T) (*onfidofake.Server, *httptest.Server) {
	t.Helper()
	f := onfidofake.New(onfidofake.Config{
		APIToken: token, WebhookToken: hookKey,
		EnrollmentWorkflows: []string{wfEnroll}, AuthenticationWorkflows: []string{wfAuth},
		Now: func() time.Time { return t0 },
	})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

type answer struct {
	status int
	body   map[string]any
}

// call sends a request with the right token and JSON content type unless
// header overrides them.
func call(t *testing.T, srv *httptest.Server, method, path string, body any, header ...string) answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.status = resp.StatusCode
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return a
}

// errorOf returns the documented error object of an answer.
func errorOf(t *testing.T, a answer) (typ string, fields map[string]any) {
	t.Helper()
	e, ok := a.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("answer %v has no error object", a.body)
	}
	if _, ok := e["message"].(string); !ok {
		t.Errorf("error %v has no message", e)
	}
	typ, _ = e["type"].(string)
	fields, _ = e["fields"].(map[string]any)
	return typ, fields
}

func newApplicant(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	a := call(t, srv, http.MethodPost, "/v3.6/applicants", map[string]any{"first_name": "Jane", "last_name": "Doe"})
	if a.status != http.StatusCreated {
		t.Fatalf("POST /applicants status = %d, want 201: %v", a.status, a.body)
	}
	return a.body["id"].(string)
}

func newRun(t *testing.T, srv *httptest.Server, workflow, user string) string {
	t.Helper()
	a := call(t, srv, http.MethodPost, "/v3.6/workflow_runs", map[string]any{
		"workflow_id": workflow, "applicant_id": newApplicant(t, srv), "customer_user_id": user,
	})
	if a.status != http.StatusCreated {
		t.Fatalf("POST /workflow_runs status = %d, want 201: %v", a.status, a.body)
	}
	return a.body["id"].(string)
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	for name, value := range map[string]string{
		"missing":      "",
		"wrong token":  "Token token=api_sandbox.other",
		"bearer":       "Bearer " + token,
		"bare token":   token,
		"no token=":    "Token " + token,
		"extra suffix": "Token token=" + token + "x",
	} {
		a := call(t, srv, http.MethodGet, "/v3.6/workflow_runs/"+unknown, nil, "Authorization", value)
		if a.status != http.StatusUnauthorized {
			t.Errorf("%s: status = %d, want 401", name, a.status)
		}
		if typ, _ := errorOf(t, a); typ != "authorization_error" {
			t.Errorf("%s: error type = %q, want authorization_error", name, typ)
		}
	}
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	applicant := newApplicant(t, srv)
	valid := func() map[string]any {
		return map[string]any{"workflow_id": wfEnroll, "applicant_id": applicant}
	}
	with := func(k string, v any) map[string]any {
		b := valid()
		b[k] = v
		return b
	}
	without := func(k string) map[string]any {
		b := valid()
		delete(b, k)
		return b
	}
	tests := map[string]struct {
		path   string
		body   any
		field  string // the field the 422 must name
		status int
		typ    string
	}{
		"run without workflow_id":    {"/v3.6/workflow_runs", without("workflow_id"), "workflow_id", 422, "validation_error"},
		"run without applicant_id":   {"/v3.6/workflow_runs", without("applicant_id"), "applicant_id", 422, "validation_error"},
		"workflow_id not a string":   {"/v3.6/workflow_runs", with("workflow_id", 7), "workflow_id", 422, "validation_error"},
		"workflow_id not a uuid":     {"/v3.6/workflow_runs", with("workflow_id", "kyc"), "workflow_id", 422, "validation_error"},
		"unknown workflow_id":        {"/v3.6/workflow_runs", with("workflow_id", unknown), "workflow_id", 422, "validation_error"},
		"unknown applicant_id":       {"/v3.6/workflow_runs", with("applicant_id", unknown), "applicant_id", 422, "validation_error"},
		"customer_user_id a number":  {"/v3.6/workflow_runs", with("customer_user_id", 5), "customer_user_id", 422, "validation_error"},
		"customer_user_id too long":  {"/v3.6/workflow_runs", with("customer_user_id", strings.Repeat("u", 257)), "customer_user_id", 422, "validation_error"},
		"tags not an array":          {"/v3.6/workflow_runs", with("tags", "a"), "tags", 422, "validation_error"},
		"too many tags":              {"/v3.6/workflow_runs", with("tags", make([]string, 31)), "tags", 422, "validation_error"},
		"tag too long":               {"/v3.6/workflow_runs", with("tags", []string{strings.Repeat("t", 129)}), "tags[0]", 422, "validation_error"},
		"empty tag":                  {"/v3.6/workflow_runs", with("tags", []string{""}), "tags[0]", 422, "validation_error"},
		"link not an object":         {"/v3.6/workflow_runs", with("link", "x"), "link", 422, "validation_error"},
		"link expires_at not a time": {"/v3.6/workflow_runs", with("link", map[string]any{"expires_at": "soon"}), "link.expires_at", 422, "validation_error"},
		"link language unknown":      {"/v3.6/workflow_runs", with("link", map[string]any{"language": "en_GB"}), "link.language", 422, "validation_error"},
		"link redirect a number":     {"/v3.6/workflow_runs", with("link", map[string]any{"completed_redirect_url": 1}), "link.completed_redirect_url", 422, "validation_error"},
		"custom_data not an object":  {"/v3.6/workflow_runs", with("custom_data", []int{1}), "custom_data", 422, "validation_error"},
		"applicant without names":    {"/v3.6/applicants", map[string]any{"email": "a@b.example"}, "first_name", 422, "validation_error"},
		"applicant name pattern":     {"/v3.6/applicants", map[string]any{"first_name": "<script>", "last_name": "Doe"}, "first_name", 422, "validation_error"},
		"applicant name blank":       {"/v3.6/applicants", map[string]any{"first_name": "Jane", "last_name": " "}, "last_name", 422, "validation_error"},
		"malformed JSON":             {"/v3.6/workflow_runs", `{"workflow_id":`, "", 400, "bad_request"},
		"JSON array":                 {"/v3.6/workflow_runs", `[]`, "", 400, "bad_request"},
		"token status unknown":       {"/v3.6/biometric_tokens/u/" + unknown, map[string]any{"status": "revoked"}, "status", 422, "validation_error"},
	}
	for name, tc := range tests {
		method := http.MethodPost
		if strings.HasPrefix(tc.path, "/v3.6/biometric_tokens") {
			method = http.MethodPut
		}
		a := call(t, srv, method, tc.path, tc.body)
		if a.status != tc.status {
			t.Errorf("%s: status = %d, want %d: %v", name, a.status, tc.status, a.body)
			continue
		}
		typ, fields := errorOf(t, a)
		if typ != tc.typ {
			t.Errorf("%s: error type = %q, want %q", name, typ, tc.typ)
		}
		if tc.field != "" {
			if _, ok := fields[tc.field]; !ok {
				t.Errorf("%s: fields = %v, want one naming %q", name, fields, tc.field)
			}
		}
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	body := map[string]any{"first_name": "Jane", "last_name": "Doe"}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
		a := call(t, srv, http.MethodPost, "/v3.6/applicants", body, "Content-Type", ct)
		if a.status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: status = %d, want 415", ct, a.status)
		}
	}
	if a := call(t, srv, http.MethodPost, "/v3.6/applicants", body, "Content-Type", "application/json; charset=utf-8"); a.status != http.StatusCreated {
		t.Errorf("Content-Type with charset: status = %d, want 201", a.status)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	t.Parallel()
	_, srv := newServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/v3.6/workflow_runs/" + unknown, 404},
		{http.MethodGet, "/v3.6/biometric_tokens/u/" + unknown, 404},
		{http.MethodDelete, "/v3.6/biometric_tokens/u/" + unknown, 404},
		{http.MethodGet, "/v3.5/workflow_runs/" + unknown, 404},
		{http.MethodGet, "/v3.6/checks", 404},
		{http.MethodDelete, "/v3.6/workflow_runs/" + unknown, 405},
		{http.MethodGet, "/v3.6/applicants", 405},
	} {
		a := call(t, srv, tc.method, tc.path, nil)
		if a.status != tc.status {
			t.Errorf("%s %s: status = %d, want %d", tc.method, tc.path, a.status, tc.status)
		}
		errorOf(t, a)
	}
}

func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	f, srv := newServer(t)
	user := "user/with slash"
	run := newRun(t, srv, wfEnroll, user)

	a := call(t, srv, http.MethodGet, "/v3.6/workflow_runs/"+run, nil)
	if a.status != 200 || a.body["status"] != "awaiting_input" || a.body["customer_user_id"] != user {
		t.Fatalf("GET run = %d %v, want 200 awaiting_input for %q", a.status, a.body, user)
	}
	if s, _ := a.body["sdk_token"].(string); s == "" {
		t.Error("run has no sdk_token")
	}

	if err := f.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if err := f.Complete(run, "declined"); err == nil {
		t.Error("Complete of an ended run error = nil, want one")
	}
	if err := f.Complete(run, "weird"); err == nil {
		t.Error("Complete with an undocumented status error = nil, want one")
	}
	if err := f.Complete(unknown, "approved"); !errors.Is(err, onfidofake.ErrUnknownRun) {
		t.Errorf("Complete(unknown) error = %v, want ErrUnknownRun", err)
	}

	path := "/v3.6/biometric_tokens/user%2Fwith%20slash"
	a = call(t, srv, http.MethodGet, path, nil)
	list, _ := a.body["biometric_tokens"].([]any)
	if a.status != 200 || len(list) != 1 {
		t.Fatalf("GET tokens = %d %v, want one token", a.status, a.body)
	}
	tok := list[0].(map[string]any)
	id := tok["uuid"].(string)
	if got := tok["data"].(map[string]any)["status"]; got != "approved" {
		t.Errorf("token status = %v, want approved", got)
	}
	if a := call(t, srv, http.MethodPut, path+"/"+id, map[string]any{"status": "declined"}); a.status != 200 {
		t.Errorf("PUT token status = %d, want 200", a.status)
	}
	if a := call(t, srv, http.MethodDelete, path+"/"+id, nil); a.status != 200 {
		t.Errorf("DELETE token status = %d, want 200", a.status)
	}
	if a := call(t, srv, http.MethodDelete, path+"/"+id, nil); a.status != 404 {
		t.Errorf("DELETE token again status = %d, want 404", a.status)
	}
	if a := call(t, srv, http.MethodGet, "/v3.6/biometric_tokens/nobody", nil); a.status != 200 {
		t.Errorf("GET tokens of a user without any: status = %d, want 200 (empty list)", a.status)
	}
}

func TestAuthenticationWithoutTokenIsDeclined(t *testing.T) {
	t.Parallel()
	f, srv := newServer(t)
	run := newRun(t, srv, wfAuth, "nobody-enrolled")
	if err := f.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.WorkflowRun(run); r.Status != "declined" {
		t.Errorf("status = %q, want declined (no biometric token to match)", r.Status)
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	f, srv := newServer(t)
	run := newRun(t, srv, wfEnroll, "u1")

	check := func(wantAction string) map[string]any {
		t.Helper()
		h, body, err := f.Webhook(run)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, []byte(hookKey))
		m.Write(body)
		if got, want := h.Get("X-SHA2-Signature"), hex.EncodeToString(m.Sum(nil)); got != want {
			t.Errorf("X-SHA2-Signature = %q, want %q", got, want)
		}
		var ev struct {
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Payload["action"] != wantAction {
			t.Errorf("action = %v, want %s", ev.Payload["action"], wantAction)
		}
		return ev.Payload
	}
	check("workflow_task.started")
	if err := f.Complete(run, "review"); err != nil {
		t.Fatal(err)
	}
	pl := check("workflow_run.completed")
	res := pl["resource"].(map[string]any)
	got := call(t, srv, http.MethodGet, "/v3.6/workflow_runs/"+run, nil).body
	if diff := cmp.Diff(got, res); diff != "" {
		t.Errorf("webhook resource differs from GET (-get +webhook):\n%s", diff)
	}
	if _, _, err := f.Webhook(unknown); !errors.Is(err, onfidofake.ErrUnknownRun) {
		t.Errorf("Webhook(unknown) error = %v, want ErrUnknownRun", err)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	f, srv := newServer(t)
	f.InjectFaults(onfidofake.Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v3.6/workflow_runs/"+unknown, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("faulted answer = %d Retry-After %q, want 429 and 3", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if a := call(t, srv, http.MethodGet, "/v3.6/workflow_runs/"+unknown, nil); a.status != 404 {
		t.Errorf("after the fault: status = %d, want 404", a.status)
	}
	if got := len(f.Requests()); got != 2 {
		t.Errorf("recorded %d requests, want 2", got)
	}
}
