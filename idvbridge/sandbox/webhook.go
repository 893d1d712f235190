package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// SignatureHeader carries a notification's signature: the lowercase hex
// HMAC-SHA256 of the raw body under Config.WebhookSecret, the vendor's
// scheme (reference/idv-and-market.md §2).
const SignatureHeader = "X-SHA2-Signature"

// Notification wire values.
const (
	resourceType    = "sandbox_run"
	actionCompleted = "run.completed"
)

// maxWebhookBody bounds what ParseWebhook decodes, in bytes; the sandbox's
// own notifications are far smaller.
const maxWebhookBody = 64 << 10

// notificationJSON is the body of a notification, shaped like the
// vendor's ({"payload":{resource_type, action, object}}) but carrying the
// sandbox's own fields.
type notificationJSON struct {
	Payload payloadJSON `json:"payload"`
}

type payloadJSON struct {
	ResourceType string     `json:"resource_type"`
	Action       string     `json:"action"`
	Object       objectJSON `json:"object"`
}

type objectJSON struct {
	ID          string               `json:"id"`
	Status      idvbridge.Status     `json:"status"`
	Reason      idvbridge.Reason     `json:"reason,omitempty"`
	UserID      string               `json:"user_id"`
	CeremonyID  string               `json:"ceremony_id"`
	Reference   *idvbridge.Reference `json:"reference,omitempty"`
	CompletedAt time.Time            `json:"completed_at"`
}

// Webhook returns the signed notification the sandbox delivers for a
// finished run (a run past its TTL counts as finished, expired): the
// header, with SignatureHeader, and the raw body. Delivering it again is
// harmless: ParseWebhook returns the same outcome. An unknown run is
// idvbridge.ErrNotFound; a pending run has nothing to notify yet
// (idvbridge.ErrInvalid).
func (p *Provider) Webhook(runID string) (http.Header, []byte, error) {
	p.mu.Lock()
	r, err := p.runLocked(runID)
	var o idvbridge.Outcome
	if err == nil {
		o = r.outcome()
	}
	p.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	if o.Status == idvbridge.StatusPending {
		return nil, nil, fmt.Errorf("%w: sandbox run %s is still pending; nothing to notify", idvbridge.ErrInvalid, runID)
	}
	header, body := p.notification(o)
	return header, body, nil
}

// notification encodes and signs a finished run's outcome.
func (p *Provider) notification(o idvbridge.Outcome) (http.Header, []byte) {
	body, err := json.Marshal(notificationJSON{Payload: payloadJSON{
		ResourceType: resourceType,
		Action:       actionCompleted,
		Object: objectJSON{
			ID:          o.RunID,
			Status:      o.Status,
			Reason:      o.Reason,
			UserID:      o.UserID,
			CeremonyID:  o.CeremonyID,
			Reference:   o.Reference,
			CompletedAt: o.CompletedAt,
		},
	}})
	if err != nil {
		// Strings and a time in range: Marshal cannot fail.
		panic(fmt.Sprintf("sandbox: encode notification: %v", err))
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set(SignatureHeader, hex.EncodeToString(p.sign(body)))
	return header, body
}

func (p *Provider) sign(body []byte) []byte {
	mac := hmac.New(sha256.New, p.key)
	mac.Write(body)
	return mac.Sum(nil)
}

// ParseWebhook verifies a notification over its raw body, comparing the
// HMAC in constant time before decoding anything, and returns the outcome
// it reports. A missing, malformed or wrong signature is
// idvbridge.ErrBadSignature with the zero Outcome; a signed body the
// sandbox would not have written is idvbridge.ErrInvalid. It does not
// consult the provider's runs: an authentic notification stays valid after
// a restart, and the caller accepts it only for a run it started
// (DESIGN.md §7.5). Duplicates return the same outcome.
func (p *Provider) ParseWebhook(ctx context.Context, header http.Header, body []byte) (idvbridge.Outcome, error) {
	got, err := hex.DecodeString(header.Get(SignatureHeader))
	if err != nil || len(got) != sha256.Size || !hmac.Equal(got, p.sign(body)) {
		return idvbridge.Outcome{}, fmt.Errorf("%w: sandbox notification", idvbridge.ErrBadSignature)
	}
	if err := ctx.Err(); err != nil {
		return idvbridge.Outcome{}, fmt.Errorf("sandbox: parse webhook: %w", err)
	}
	o, err := decodeNotification(body)
	if err != nil {
		return idvbridge.Outcome{}, fmt.Errorf("%w: sandbox notification: %w", idvbridge.ErrInvalid, err)
	}
	return o, nil
}

// decodeNotification decodes a verified body strictly: unknown fields,
// trailing data and inconsistent values are errors.
func decodeNotification(body []byte) (idvbridge.Outcome, error) {
	if len(body) > maxWebhookBody {
		return idvbridge.Outcome{}, fmt.Errorf("body of %d bytes exceeds %d", len(body), maxWebhookBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var n notificationJSON
	if err := dec.Decode(&n); err != nil {
		return idvbridge.Outcome{}, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return idvbridge.Outcome{}, errors.New("trailing data after the JSON object")
	}
	pl, ob := n.Payload, n.Payload.Object
	var errs []error
	if pl.ResourceType != resourceType || pl.Action != actionCompleted {
		errs = append(errs, fmt.Errorf("resource_type %q, action %q, want %q, %q", pl.ResourceType, pl.Action, resourceType, actionCompleted))
	}
	if ob.ID == "" || ob.UserID == "" || ob.CeremonyID == "" {
		errs = append(errs, errors.New("id, user_id and ceremony_id are required"))
	}
	if !finalOutcome(ob.Status, ob.Reason) {
		errs = append(errs, fmt.Errorf("status %q with reason %q is not a final outcome", ob.Status, ob.Reason))
	}
	if ob.Reference != nil && (ob.Reference.Provider != Name || ob.Reference.ID == "") {
		errs = append(errs, fmt.Errorf("reference %+v is not a sandbox reference", *ob.Reference))
	}
	if ob.CompletedAt.IsZero() {
		errs = append(errs, errors.New("completed_at is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return idvbridge.Outcome{}, err
	}
	return idvbridge.Outcome{
		Provider:    Name,
		RunID:       ob.ID,
		UserID:      ob.UserID,
		CeremonyID:  ob.CeremonyID,
		Status:      ob.Status,
		Reason:      ob.Reason,
		Reference:   ob.Reference,
		CompletedAt: ob.CompletedAt.UTC(),
	}, nil
}

// finalOutcome reports whether status and reason are one a choice or an
// expiry records.
func finalOutcome(status idvbridge.Status, reason idvbridge.Reason) bool {
	for _, c := range Choices() {
		if s, r, _ := c.Want(); s == status && r == reason {
			return true
		}
	}
	return false
}
