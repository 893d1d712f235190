package bankapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{3,32}$`)

// maxFullNameRunes bounds the display name sent to the login provider.
const maxFullNameRunes = 64

// signupView is the body of the sign-up page.
type signupView struct {
	CSRF     string
	Username string
	FullName string
	Errors   []string
}

// validateSignup returns the user-facing problems with a sign-up form.
func validateSignup(username, fullName string) []string {
	var problems []string
	if !usernamePattern.MatchString(username) {
		problems = append(problems, "Choose a username of 3 to 32 characters, using only lower-case letters, digits, dots, dashes and underscores.")
	}
	switch n := utf8.RuneCountInString(fullName); {
	case n == 0:
		problems = append(problems, "Please tell us your full name.")
	case n > maxFullNameRunes || !utf8.ValidString(fullName) || strings.ContainsFunc(fullName, unicode.IsControl):
		problems = append(problems, fmt.Sprintf("Your full name can have up to %d characters and no line breaks.", maxFullNameRunes))
	}
	return problems
}

func (a *App) signupPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "signup", "Open an account", signupView{CSRF: a.csrfToken(w, r)})
}

// signup creates the local account, asks the login provider to start a
// passkey enrollment for it, and sends the browser there.
func (a *App) signup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !a.checkCSRF(r) {
		a.fail(w, r, http.StatusForbidden, msgFormExpired, errors.New("signup: missing or invalid CSRF token"))
		return
	}
	v := signupView{
		CSRF:     a.csrfToken(w, r),
		Username: strings.TrimSpace(r.PostFormValue("username")),
		FullName: strings.TrimSpace(r.PostFormValue("fullname")),
	}
	if v.Errors = validateSignup(v.Username, v.FullName); len(v.Errors) > 0 {
		a.render(w, r, http.StatusBadRequest, "signup", "Open an account", v)
		return
	}
	acct := account{ID: newCustomerID(), Username: v.Username, FullName: v.FullName}
	if !a.accounts.add(acct) {
		v.Errors = []string{"That username is taken. Please choose another."}
		a.render(w, r, http.StatusConflict, "signup", "Open an account", v)
		return
	}
	res, err := a.startEnrollment(r.Context(), acct)
	if err != nil {
		// Without a passkey the account is unusable: forget it so the user
		// can try again with the same username.
		a.accounts.remove(acct.ID)
		var apiErr *enrollmentError
		if errors.As(err, &apiErr) && apiErr.Message != "" {
			a.cfg.Logger.WarnContext(r.Context(), "enrollment refused", "external_user_id", acct.ID, "err", err)
			v.Errors = []string{apiErr.Message}
			status := http.StatusBadGateway
			if apiErr.Status >= 400 && apiErr.Status < 500 {
				status = http.StatusBadRequest
			}
			a.render(w, r, status, "signup", "Open an account", v)
			return
		}
		a.fail(w, r, http.StatusBadGateway, msgPasskeyServiceDown, err)
		return
	}
	a.cfg.Logger.InfoContext(r.Context(), "enrollment started",
		"external_user_id", acct.ID, "username", acct.Username,
		"status", res.User.Status, "expires_at", res.ExpiresAt)
	http.Redirect(w, r, res.EnrollmentURL, http.StatusSeeOther)
}

// newCustomerID returns a stable opaque customer id, "cust-" and 32 hex digits.
func newCustomerID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "cust-" + hex.EncodeToString(b)
}

// enrollmentRequest is the body of POST /api/v1/enrollments.
type enrollmentRequest struct {
	ExternalUserID string `json:"external_user_id"`
	Username       string `json:"username"`
	DisplayName    string `json:"display_name"`
	ReturnURL      string `json:"return_url"`
}

// enrollmentResponse is the 201 answer of POST /api/v1/enrollments.
type enrollmentResponse struct {
	EnrollmentURL string    `json:"enrollment_url"`
	ExpiresAt     time.Time `json:"expires_at"`
	User          struct {
		ExternalUserID string `json:"external_user_id"`
		Status         string `json:"status"`
	} `json:"user"`
}

// enrollmentError is an error answer of the enrollment API. Message is
// user-safe text from the provider.
type enrollmentError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *enrollmentError) Error() string {
	return fmt.Sprintf("enrollment API: status %d, error %q: %s", e.Status, e.Code, e.Message)
}

// maxAPIResponse bounds what the bank reads from the enrollment API.
const maxAPIResponse = 1 << 20

// startEnrollment calls the login provider's enrollment API for acct with a
// client_credentials token.
func (a *App) startEnrollment(ctx context.Context, acct account) (enrollmentResponse, error) {
	var out enrollmentResponse
	body, err := json.Marshal(enrollmentRequest{
		ExternalUserID: acct.ID,
		Username:       acct.Username,
		DisplayName:    acct.FullName,
		ReturnURL:      a.cfg.PublicURL + "/enrolled",
	})
	if err != nil {
		return out, fmt.Errorf("encode enrollment request: %w", err)
	}
	tok, err := a.enrollTokens.Token()
	if err != nil {
		return out, fmt.Errorf("get enrollment API token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.enrollURL, bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("build enrollment request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return out, fmt.Errorf("call enrollment API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return out, fmt.Errorf("read enrollment API answer (status %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusCreated {
		apiErr := &enrollmentError{Status: resp.StatusCode}
		if err := json.Unmarshal(data, apiErr); err != nil {
			return out, fmt.Errorf("enrollment API: status %d with an unreadable body: %w", resp.StatusCode, err)
		}
		return out, apiErr
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("decode enrollment API answer: %w", err)
	}
	if u, err := url.Parse(out.EnrollmentURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return out, fmt.Errorf("enrollment API: enrollment_url: want an absolute http(s) URL, got %q", out.EnrollmentURL)
	}
	if out.User.ExternalUserID != acct.ID {
		return out, fmt.Errorf("enrollment API: user.external_user_id: got %q, want %q", out.User.ExternalUserID, acct.ID)
	}
	return out, nil
}
