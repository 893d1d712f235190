package onfido

import (
	"encoding/json"
	"time"
)

// The JSON the adapter sends and reads: only the fields it uses.
// Specification: onfido-openapi-spec schemas/applicants,
// schemas/workflow_runs, schemas/biometric_tokens, schemas/webhooks.

// applicantBuilder is POST /applicants; first_name and last_name are
// required (applicant_create).
type applicantBuilder struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type applicant struct {
	ID string `json:"id"`
}

// workflowRunBuilder is POST /workflow_runs; workflow_id and applicant_id
// are required (workflow_run_shared).
type workflowRunBuilder struct {
	WorkflowID     string    `json:"workflow_id"`
	ApplicantID    string    `json:"applicant_id"`
	CustomerUserID string    `json:"customer_user_id"`
	Tags           []string  `json:"tags"`
	Link           *wireLink `json:"link,omitempty"`
}

// wireLink is workflow_run_link.
type wireLink struct {
	URL                  string `json:"url,omitempty"` // read only
	CompletedRedirectURL string `json:"completed_redirect_url,omitempty"`
	ExpiredRedirectURL   string `json:"expired_redirect_url,omitempty"`
	ExpiresAt            string `json:"expires_at,omitempty"`
	Language             string `json:"language,omitempty"`
}

// workflowRun is a Workflow Run as GET /workflow_runs/{id} returns it, and
// the resource of a workflow_run webhook event. Times stay strings and are
// parsed leniently: a malformed time must not hide the status.
type workflowRun struct {
	ID             string    `json:"id"`
	WorkflowID     string    `json:"workflow_id"`
	ApplicantID    string    `json:"applicant_id"`
	CustomerUserID string    `json:"customer_user_id"`
	Status         string    `json:"status"`
	Tags           []string  `json:"tags"`
	Link           *wireLink `json:"link"`
	SDKToken       string    `json:"sdk_token"`
	CreatedAt      string    `json:"created_at"`
	UpdatedAt      string    `json:"updated_at"`
	Error          *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// biometricToken is the Biometric token object.
type biometricToken struct {
	UUID string `json:"uuid"`
	Data struct {
		InsertedAt string `json:"inserted_at"`
		MediaType  string `json:"media_type"`
		Status     string `json:"status"`
	} `json:"data"`
}

type biometricTokenList struct {
	BiometricTokens []biometricToken `json:"biometric_tokens"`
}

type biometricTokenOne struct {
	BiometricToken *biometricToken `json:"biometric_token"`
}

// webhookEvent is webhook_event.yaml. resource_type and action name the
// event; object is what it is about; resource is the object's state.
type webhookEvent struct {
	Payload *struct {
		ResourceType string `json:"resource_type"`
		Action       string `json:"action"`
		Object       *struct {
			ID            string `json:"id"`
			Status        string `json:"status"`
			CompletedAt   string `json:"completed_at_iso8601"`
			WorkflowRunID string `json:"workflow_run_id"`
		} `json:"object"`
		Resource json.RawMessage `json:"resource"`
	} `json:"payload"`
}

// parseTime parses an RFC 3339 time; anything else is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// formatTime formats a time the way the API writes date-times.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
