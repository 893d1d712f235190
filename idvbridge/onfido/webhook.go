package onfido

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// SignatureHeader carries a webhook's signature: the lowercase hex
// HMAC-SHA256 of the raw body, keyed with the webhook's token.
//
// Specification: https://documentation.identity.entrust.com/api/manual-webhook-signature-verification/
// and onfido-node webhook-event-verifier.ts / its published test vector.
const SignatureHeader = "X-SHA2-Signature"

// MaxWebhookBytes is the largest webhook body ParseWebhook verifies; a
// larger one is ErrBadSignature without being hashed.
const MaxWebhookBytes = 1 << 20

// ParseWebhook verifies a notification over its raw body and returns the
// outcome of the workflow run it is about.
//
// Verification comes first and alone: the body's size is bounded, the
// X-SHA2-Signature header must appear exactly once and decode to 32 bytes,
// and it must equal HMAC-SHA256(webhook token, raw body) under
// hmac.Equal (constant time). Any failure is ErrBadSignature and nothing
// of the body is decoded (DESIGN.md §7.5).
//
// Then:
//
//   - workflow_run.completed whose resource carries what the outcome needs
//     (workflow id, applicant id, customer user id, tags, status, times)
//     maps from the payload as a fetched run would; when it lacks any of it
//     the run is fetched (GET /workflow_runs/{id}) instead;
//   - any other event about a workflow run (workflow_task.*,
//     workflow_timeline_file.created, workflow_run_evidence_folder.created)
//     is a hint: the run is fetched and its current outcome returned, so a
//     resent or out-of-order notification can never contradict the run;
//   - an event about no workflow run (check.*, report.*, audit_log.*,
//     watchlist_monitor.*) or about a run of a workflow not configured is
//     ErrNotFound; a verified body that is not a webhook event is
//     ErrInvalid. The host should acknowledge both: a retry will not
//     change them.
//
// Nothing is remembered, so a duplicate returns the same outcome.
func (p *Provider) ParseWebhook(ctx context.Context, header http.Header, body []byte) (idvbridge.Outcome, error) {
	if err := p.verify(header, body); err != nil {
		return idvbridge.Outcome{}, err
	}
	var ev webhookEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil || dec.More() || ev.Payload == nil {
		return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook: %w: verified body is not a webhook event", idvbridge.ErrInvalid)
	}
	pl := ev.Payload
	if pl.Object == nil {
		return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q: %w: no object", pl.Action, idvbridge.ErrInvalid)
	}

	switch pl.ResourceType {
	case "workflow_run":
		var res workflowRun
		if len(pl.Resource) > 0 && json.Unmarshal(pl.Resource, &res) != nil {
			return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q: %w: malformed resource", pl.Action, idvbridge.ErrInvalid)
		}
		runID := pl.Object.ID
		if res.ID != "" && !strings.EqualFold(res.ID, runID) {
			return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q: %w: object and resource name different runs", pl.Action, idvbridge.ErrInvalid)
		}
		if !isUUID(runID) {
			return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q: %w: no workflow run id", pl.Action, idvbridge.ErrInvalid)
		}
		if pl.Action == "workflow_run.completed" && complete(res) {
			return p.outcome(ctx, res)
		}
		return p.Fetch(ctx, runID)

	case "workflow_task", "workflow_timeline_file", "workflow_run_evidence_folder":
		runID := pl.Object.WorkflowRunID
		if runID == "" {
			var res struct {
				WorkflowRunID string `json:"workflow_run_id"`
			}
			_ = json.Unmarshal(pl.Resource, &res) // absent or malformed: no id, handled below
			runID = res.WorkflowRunID
		}
		if !isUUID(runID) {
			return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q: %w: no workflow run id", pl.Action, idvbridge.ErrInvalid)
		}
		return p.Fetch(ctx, runID)
	}
	return idvbridge.Outcome{}, fmt.Errorf("onfido: webhook %q (%s): %w: not about a workflow run", pl.Action, pl.ResourceType, idvbridge.ErrNotFound)
}

// verify checks the signature over the raw body.
func (p *Provider) verify(header http.Header, body []byte) error {
	if len(body) > MaxWebhookBytes {
		return fmt.Errorf("onfido: webhook: %w: body exceeds %d bytes", idvbridge.ErrBadSignature, MaxWebhookBytes)
	}
	values := header.Values(SignatureHeader)
	if len(values) != 1 {
		return fmt.Errorf("onfido: webhook: %w: want exactly one %s header, got %d", idvbridge.ErrBadSignature, SignatureHeader, len(values))
	}
	got, err := hex.DecodeString(strings.TrimSpace(values[0]))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("onfido: webhook: %w: %s is not a hex SHA-256 MAC", idvbridge.ErrBadSignature, SignatureHeader)
	}
	mac := hmac.New(sha256.New, []byte(p.cfg.WebhookToken))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("onfido: webhook: %w: signature does not match the body", idvbridge.ErrBadSignature)
	}
	return nil
}

// complete reports whether a workflow_run.completed resource carries all
// that outcome needs, so it maps exactly as a fetch of the run would.
func complete(run workflowRun) bool {
	m, known := statuses[run.Status]
	return known && !m.awaiting && m.status != idvbridge.StatusPending &&
		isUUID(run.ID) && run.WorkflowID != "" && isUUID(run.ApplicantID) && run.CustomerUserID != "" &&
		run.Tags != nil && run.CreatedAt != "" && run.UpdatedAt != ""
}
