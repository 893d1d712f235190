package authenticator_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// TestRecordOperatorAction records each action the host performs itself
// and checks the audit record it returns and stores, the event appended
// only for sessions actually revoked, and the chain.
func TestRecordOperatorAction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	if _, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"}); err != nil {
		t.Fatal(err)
	}
	subject := auditSubjectOf(t, h.store, "cust-1")

	tests := []struct {
		name       string
		req        authenticator.OperatorActionRequest
		wantTarget string
		wantDetail map[string]string
		wantEvent  bool // a sessions.revoked event for cust-1
	}{
		{
			name: "sessions revoked",
			req: authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: "cust-1",
				Reason: "stolen phone", Detail: map[string]string{"result": "revoked"}},
			wantTarget: subject, wantDetail: map[string]string{"result": "revoked", "reason": "stolen phone"}, wantEvent: true,
		},
		{
			name: "sessions not revoked",
			req: authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: "cust-1",
				Detail: map[string]string{"result": "failed", "error": "identity server answered 502"}},
			wantTarget: subject, wantDetail: map[string]string{"result": "failed", "error": "identity server answered 502"},
		},
		{
			name:       "sessions revoke without a result",
			req:        authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: "cust-1"},
			wantTarget: subject,
		},
		{
			name:       "audit export",
			req:        authenticator.OperatorActionRequest{Operator: "op-bob", Action: authenticator.AuditExport, Detail: map[string]string{"format": "jsonl"}},
			wantDetail: map[string]string{"format": "jsonl"},
		},
		{
			name: "access refused on a user",
			req: authenticator.OperatorActionRequest{Operator: "op-carl", Action: authenticator.AuditAccessRefused, ExternalID: "cust-1",
				Detail: map[string]string{"attempted": "user.suspend", "why": "role"}},
			wantTarget: subject, wantDetail: map[string]string{"attempted": "user.suspend", "why": "role"},
		},
		{
			name: "access refused without a user",
			req: authenticator.OperatorActionRequest{Operator: "op-carl", Action: authenticator.AuditAccessRefused,
				Detail: map[string]string{"attempted": "audit.export", "why": "csrf"}},
			wantDetail: map[string]string{"attempted": "audit.export", "why": "csrf"},
		},
	}
	for _, tt := range tests {
		before := len(auditLog(t, h.store))
		eventsBefore, err := h.store.ListEvents(ctx, "cust-1", 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.svc.RecordOperatorAction(ctx, tt.req)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tt.name, err)
			continue
		}
		if got.Actor != tt.req.Operator || got.Action != tt.req.Action || got.Target != tt.wantTarget || !maps.Equal(got.Detail, tt.wantDetail) {
			t.Errorf("%s: got record %s %s %q %v, want %s %s %q %v", tt.name, got.Actor, got.Action, got.Target, got.Detail,
				tt.req.Operator, tt.req.Action, tt.wantTarget, tt.wantDetail)
		}
		if strings.Contains(got.Target, "cust-1") {
			t.Errorf("%s: record target %q names the external id, want the pseudonym", tt.name, got.Target)
		}
		log := auditLog(t, h.store)
		if len(log) != before+1 || log[len(log)-1].Seq != got.Seq || string(log[len(log)-1].Hash) != string(got.Hash) {
			t.Errorf("%s: got %d records (last %+v), want %d with the one returned last", tt.name, len(log), log[len(log)-1], before+1)
		}
		events, err := h.store.ListEvents(ctx, "cust-1", 0)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents := len(eventsBefore)
		if tt.wantEvent {
			wantEvents++
		}
		if len(events) != wantEvents {
			t.Errorf("%s: got %d events, want %d", tt.name, len(events), wantEvents)
			continue
		}
		if tt.wantEvent {
			e := events[0] // newest first
			if e.Type != authenticator.EventSessionsRevoked || e.Actor != tt.req.Operator || e.Detail["reason"] != tt.req.Reason {
				t.Errorf("%s: got event %s by %s %v, want %s by %s with the reason", tt.name, e.Type, e.Actor, e.Detail,
					authenticator.EventSessionsRevoked, tt.req.Operator)
			}
		}
	}
	if v, err := h.svc.VerifyAudit(ctx); err != nil || !v.Intact() || v.Records != len(auditLog(t, h.store)) {
		t.Errorf("VerifyAudit: got %+v, %v, want intact", v, err)
	}
}

// TestRecordOperatorActionRefused checks every refused request: the right
// code, and nothing written, neither audit record nor event.
func TestRecordOperatorActionRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	if _, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"}); err != nil {
		t.Fatal(err)
	}
	revoked := map[string]string{"result": "revoked"}
	tooMany := map[string]string{}
	for _, k := range strings.Fields("a b c d e f g h i j k l m n o p") {
		tooMany[k] = "x"
	}
	tests := []struct {
		name string
		req  authenticator.OperatorActionRequest
		want error
	}{
		{"unknown action", authenticator.OperatorActionRequest{Operator: "op-ann", Action: "user.erase", ExternalID: "cust-1"}, authenticator.ErrInvalidArgument},
		{"no action", authenticator.OperatorActionRequest{Operator: "op-ann"}, authenticator.ErrInvalidArgument},
		{"no operator", authenticator.OperatorActionRequest{Action: authenticator.AuditExport}, authenticator.ErrInvalidArgument},
		{"blank operator", authenticator.OperatorActionRequest{Operator: "  ", Action: authenticator.AuditExport}, authenticator.ErrInvalidArgument},
		{"operator too long", authenticator.OperatorActionRequest{Operator: strings.Repeat("o", 257), Action: authenticator.AuditExport}, authenticator.ErrInvalidArgument},
		{"operator with NUL", authenticator.OperatorActionRequest{Operator: "op\x00", Action: authenticator.AuditExport}, authenticator.ErrInvalidArgument},
		{"unknown user", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: "nobody", Detail: revoked}, authenticator.ErrNotFound},
		{"access refused on an unknown user", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditAccessRefused, ExternalID: "nobody"}, authenticator.ErrNotFound},
		{"sessions revoke without a user", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, Detail: revoked}, authenticator.ErrInvalidArgument},
		{"audit export naming a user", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, ExternalID: "cust-1"}, authenticator.ErrInvalidArgument},
		{"malformed external id", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: strings.Repeat("u", 300)}, authenticator.ErrInvalidArgument},
		{"unknown result", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditSessionsRevoke, ExternalID: "cust-1", Detail: map[string]string{"result": "maybe"}}, authenticator.ErrInvalidArgument},
		{"unknown why", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditAccessRefused, Detail: map[string]string{"why": "mood"}}, authenticator.ErrInvalidArgument},
		{"reason too long", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Reason: strings.Repeat("r", 513)}, authenticator.ErrInvalidArgument},
		{"reason in the detail", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: map[string]string{"reason": "x"}}, authenticator.ErrInvalidArgument},
		{"bad detail key", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: map[string]string{"Format": "jsonl"}}, authenticator.ErrInvalidArgument},
		{"empty detail key", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: map[string]string{"": "jsonl"}}, authenticator.ErrInvalidArgument},
		{"detail value too long", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: map[string]string{"format": strings.Repeat("j", 1025)}}, authenticator.ErrInvalidArgument},
		{"detail value not UTF-8", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: map[string]string{"format": "\xff"}}, authenticator.ErrInvalidArgument},
		{"too many details", authenticator.OperatorActionRequest{Operator: "op-ann", Action: authenticator.AuditExport, Detail: tooMany}, authenticator.ErrInvalidArgument},
	}
	before := len(auditLog(t, h.store))
	eventsBefore, err := h.store.ListEvents(ctx, "cust-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if _, err := h.svc.RecordOperatorAction(ctx, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := len(auditLog(t, h.store)); got != before {
		t.Errorf("audit records after refused requests: got %d, want %d", got, before)
	}
	if events, err := h.store.ListEvents(ctx, "cust-1", 0); err != nil || len(events) != len(eventsBefore) {
		t.Errorf("events after refused requests: got %d, %v, want %d", len(events), err, len(eventsBefore))
	}
}
