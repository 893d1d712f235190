package idvtest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/idvtest"
)

// TestRun runs the suite against a minimal in-memory provider, so that the
// suite itself is known to be passable and each of its checks is exercised.
func TestRun(t *testing.T) {
	t.Parallel()
	idvtest.Run(t, func(t *testing.T) idvtest.Harness {
		p := &memProvider{key: []byte("idvtest-self-test-key"), runs: map[string]*memRun{}, refs: map[string]string{}}
		return idvtest.Harness{
			Provider: p,
			Complete: func(t *testing.T, runID string, r idvtest.Result) {
				t.Helper()
				if err := p.complete(runID, r); err != nil {
					t.Fatal(err)
				}
			},
			Webhook: func(t *testing.T, runID string) (http.Header, []byte) {
				t.Helper()
				h, b, err := p.webhook(runID)
				if err != nil {
					t.Fatal(err)
				}
				return h, b
			},
		}
	})
}

func TestResultWant(t *testing.T) {
	t.Parallel()
	seen := map[[2]string]idvtest.Result{}
	for _, r := range idvtest.Results() {
		s, reason := r.Want()
		if s == idvbridge.StatusPending {
			t.Errorf("%s.Want() status = pending, want a final status", r)
		}
		if (s == idvbridge.StatusPassed) != (r == idvtest.ResultPass) {
			t.Errorf("%s.Want() status = %q, want passed only for %q", r, s, idvtest.ResultPass)
		}
		k := [2]string{string(s), string(reason)}
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s both map to %v, want distinct mappings", r, other, k)
		}
		seen[k] = r
	}
}

// memProvider is the smallest provider that passes the suite.
type memProvider struct {
	key  []byte
	mu   sync.Mutex
	n    int
	runs map[string]*memRun
	refs map[string]string // reference id → user id; deleted when revoked
}

type memRun struct {
	Outcome idvbridge.Outcome
	Journey idvbridge.Journey
	Ref     *idvbridge.Reference
}

var _ idvbridge.Provider = (*memProvider)(nil)

func (p *memProvider) Name() string { return "mem" }

func (p *memProvider) Start(ctx context.Context, req idvbridge.StartRequest) (idvbridge.Check, error) {
	if err := req.Validate(); err != nil {
		return idvbridge.Check{}, err
	}
	if req.Reference != nil && req.Reference.Provider != p.Name() {
		return idvbridge.Check{}, fmt.Errorf("%w: reference of provider %q", idvbridge.ErrInvalid, req.Reference.Provider)
	}
	if err := ctx.Err(); err != nil {
		return idvbridge.Check{}, fmt.Errorf("%w: %w", idvbridge.ErrUnavailable, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if req.Reference != nil && p.refs[req.Reference.ID] != req.UserID {
		return idvbridge.Check{}, fmt.Errorf("%w: reference not found for this user", idvbridge.ErrNotFound)
	}
	p.n++
	id := fmt.Sprintf("run-%d", p.n)
	p.runs[id] = &memRun{
		Outcome: idvbridge.Outcome{Provider: p.Name(), RunID: id, UserID: req.UserID, CeremonyID: req.CeremonyID, Status: idvbridge.StatusPending},
		Journey: req.Journey,
		Ref:     req.Reference,
	}
	return idvbridge.Check{Provider: p.Name(), RunID: id, Journey: req.Journey, UserID: req.UserID, CeremonyID: req.CeremonyID, SDKToken: "sdk-" + id}, nil
}

func (p *memProvider) Fetch(_ context.Context, runID string) (idvbridge.Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.runs[runID]
	if !ok {
		return idvbridge.Outcome{}, fmt.Errorf("%w: run %q", idvbridge.ErrNotFound, runID)
	}
	return r.Outcome, nil
}

func (p *memProvider) ParseWebhook(ctx context.Context, header http.Header, body []byte) (idvbridge.Outcome, error) {
	got, err := hex.DecodeString(header.Get("X-Mem-Signature"))
	if err != nil || !hmac.Equal(got, p.sign(body)) {
		return idvbridge.Outcome{}, idvbridge.ErrBadSignature
	}
	var n struct{ RunID string }
	if err := json.Unmarshal(body, &n); err != nil {
		return idvbridge.Outcome{}, fmt.Errorf("%w: %w", idvbridge.ErrInvalid, err)
	}
	return p.Fetch(ctx, n.RunID)
}

func (p *memProvider) DeleteReference(_ context.Context, ref idvbridge.Reference) error {
	if ref.Provider != p.Name() {
		return fmt.Errorf("%w: reference of provider %q", idvbridge.ErrInvalid, ref.Provider)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.refs, ref.ID)
	return nil
}

func (p *memProvider) sign(body []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	return m.Sum(nil)
}

func (p *memProvider) complete(runID string, result idvtest.Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.runs[runID]
	if !ok {
		return fmt.Errorf("complete: unknown run %q", runID)
	}
	o := &r.Outcome
	o.Status, o.Reason = result.Want()
	o.CompletedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	switch {
	case r.Journey == idvbridge.JourneyEnrollment && o.Status == idvbridge.StatusPassed:
		id := "ref-" + strings.TrimPrefix(runID, "run-")
		p.refs[id] = o.UserID
		o.Reference = &idvbridge.Reference{Provider: p.Name(), ID: id}
	case r.Journey != idvbridge.JourneyEnrollment:
		if o.Status == idvbridge.StatusPassed && p.refs[r.Ref.ID] != o.UserID {
			o.Status, o.Reason = idvbridge.StatusFailed, idvbridge.ReasonDeclined
		}
		o.Reference = r.Ref
	}
	return nil
}

func (p *memProvider) webhook(runID string) (http.Header, []byte, error) {
	body, err := json.Marshal(struct{ RunID string }{runID})
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{}
	h.Set("X-Mem-Signature", hex.EncodeToString(p.sign(body)))
	return h, body, nil
}
