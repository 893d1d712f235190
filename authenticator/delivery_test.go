package authenticator_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// failingOutbox is a store whose transactions fail to queue deliveries.
type failingOutbox struct{ authenticator.Store }

var errOutbox = errors.New("outbox is full")

func (s failingOutbox) Atomic(ctx context.Context, fn func(authenticator.Tx) error) error {
	return s.Store.Atomic(ctx, func(tx authenticator.Tx) error { return fn(failingTx{tx}) })
}

type failingTx struct{ authenticator.Tx }

func (failingTx) EnqueueDeliveries(context.Context, int64, []string, time.Time) error {
	return errOutbox
}

func newOutboxService(t *testing.T, wrap func(authenticator.Store) authenticator.Store) (*authenticator.Service, authenticator.Store) {
	t.Helper()
	st, err := sqlite.OpenAndMigrate(t.Context(), filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var store authenticator.Store = st
	if wrap != nil {
		store = wrap(st)
	}
	svc, err := authenticator.New(authenticator.Config{RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin}},
		store, memory.New(), authenticator.WithEventEndpoints("https://a.example/hook", "https://b.example/hook"))
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// TestEventsAreQueuedForEveryEndpoint checks that an event's state change
// queues one delivery per configured endpoint.
func TestEventsAreQueuedForEveryEndpoint(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, nil)
	ctx := t.Context()
	if _, err := svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var endpoints []string
	for _, d := range got {
		if d.Event.Type != authenticator.EventUserInvited || d.Event.UserExternalID != "cust-1" {
			t.Errorf("delivery %d: event %s of %q, want user.invited of cust-1", d.ID, d.Event.Type, d.Event.UserExternalID)
		}
		endpoints = append(endpoints, d.Endpoint)
	}
	slices.Sort(endpoints)
	if want := []string{"https://a.example/hook", "https://b.example/hook"}; !slices.Equal(endpoints, want) {
		t.Errorf("queued for %v, want %v", endpoints, want)
	}
}

// TestEventOutboxSharesTheTransaction checks that the delivery rows are
// written in the transaction of the state change: when queueing fails, the
// state change and the event are rolled back with it.
func TestEventOutboxSharesTheTransaction(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, func(s authenticator.Store) authenticator.Store { return failingOutbox{s} })
	ctx := t.Context()
	_, err := svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"})
	if err == nil {
		t.Fatal("CreateEnrollment with a failing outbox: got nil error")
	}
	if _, err := st.GetUser(ctx, "cust-1"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetUser after the rollback: got %v, want ErrNotFound", err)
	}
	if evs, err := st.ListEvents(ctx, "cust-1", 0); err != nil || len(evs) != 0 {
		t.Errorf("ListEvents after the rollback: got %d, %v, want none", len(evs), err)
	}
}

// deadLetters makes the two deliveries of a user.invited event and settles
// the first dead; it returns the dead one and the pending one.
func deadLetters(t *testing.T, svc *authenticator.Service, st authenticator.Store) (dead, pending authenticator.Delivery) {
	t.Helper()
	ctx := t.Context()
	if _, err := svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"}); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), time.Minute, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("ClaimDeliveries: got %d, %v, want 2", len(claimed), err)
	}
	if err := st.SettleDelivery(ctx, claimed[0].ID, authenticator.DeliveryDead, time.Time{}, "status 503", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.SettleDelivery(ctx, claimed[1].ID, authenticator.DeliveryPending, time.Now(), "status 500", time.Now()); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListDeadLetters(ctx, 0, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListDeadLetters: got %d, %v, want 1", len(list), err)
	}
	return list[0], claimed[1]
}

// TestDeadLettersForTheDashboard checks that a dead letter carries what the
// dashboard shows: its delivery fields, when it died, and its event's id,
// type and user.
func TestDeadLettersForTheDashboard(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, nil)
	d, _ := deadLetters(t, svc, st)
	switch {
	case d.ID == 0 || d.EventID == 0 || d.Event.ID != d.EventID:
		t.Errorf("ids: got delivery %d, event %d/%d, want set and matching", d.ID, d.EventID, d.Event.ID)
	case d.Event.Type != authenticator.EventUserInvited || d.Event.UserExternalID != "cust-1":
		t.Errorf("event: got %s of %q, want user.invited of cust-1", d.Event.Type, d.Event.UserExternalID)
	case d.Endpoint == "" || d.Attempts != 1 || d.LastError != "status 503" || d.Status != authenticator.DeliveryDead:
		t.Errorf("delivery: got %+v, want endpoint, 1 attempt, status 503, dead", d)
	case d.CreatedAt.IsZero() || d.DeadAt().IsZero() || !d.DeadAt().Equal(d.UpdatedAt):
		t.Errorf("times: got created %v, dead at %v, updated %v, want set, dead at = updated", d.CreatedAt, d.DeadAt(), d.UpdatedAt)
	}
	if got := (authenticator.Delivery{Status: authenticator.DeliveryPending, UpdatedAt: time.Now()}).DeadAt(); !got.IsZero() {
		t.Errorf("DeadAt of a pending delivery: got %v, want zero", got)
	}
	for name, page := range map[string]struct {
		after int64
		limit int
	}{"negative after": {-1, 0}, "negative limit": {0, -1}, "limit too large": {0, authenticator.MaxPageSize + 1}} {
		if _, err := svc.ListDeadLetters(t.Context(), page.after, page.limit); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Errorf("ListDeadLetters with %s: got %v, want ErrInvalidArgument", name, err)
		}
	}
}

// TestRedeliverEvent checks the operator's redelivery: a dead letter goes
// back to pending with its audit record; anything else is refused and
// leaves no record.
func TestRedeliverEvent(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, nil)
	ctx := t.Context()
	dead, pending := deadLetters(t, svc, st)
	before, err := st.ListAudit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}

	refused := map[string]struct {
		req  authenticator.RedeliverRequest
		want error
	}{
		"pending":          {authenticator.RedeliverRequest{Operator: "op-ann", DeliveryID: pending.ID}, authenticator.ErrConflict},
		"unknown":          {authenticator.RedeliverRequest{Operator: "op-ann", DeliveryID: dead.ID + 1000}, authenticator.ErrNotFound},
		"no operator":      {authenticator.RedeliverRequest{DeliveryID: dead.ID}, authenticator.ErrInvalidArgument},
		"blank operator":   {authenticator.RedeliverRequest{Operator: " ", DeliveryID: dead.ID}, authenticator.ErrInvalidArgument},
		"reason too long":  {authenticator.RedeliverRequest{Operator: "op-ann", DeliveryID: dead.ID, Reason: strings.Repeat("x", 513)}, authenticator.ErrInvalidArgument},
		"delivery id zero": {authenticator.RedeliverRequest{Operator: "op-ann"}, authenticator.ErrInvalidArgument},
	}
	for name, tt := range refused {
		if _, err := svc.RedeliverEvent(ctx, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("RedeliverEvent of %s: got %v, want %v", name, err, tt.want)
		}
	}
	if after, err := st.ListAudit(ctx, 0, 0); err != nil || len(after) != len(before) {
		t.Errorf("audit records after refused redeliveries: got %d, %v, want %d", len(after), err, len(before))
	}

	got, err := svc.RedeliverEvent(ctx, authenticator.RedeliverRequest{Operator: "op-ann", DeliveryID: dead.ID, Reason: "endpoint fixed"})
	if err != nil {
		t.Fatalf("RedeliverEvent: got %v, want nil", err)
	}
	if got.ID != dead.ID || got.Status != authenticator.DeliveryPending || got.Attempts != 0 || got.Event.ID != dead.EventID ||
		!got.NextAttemptAt.Equal(got.UpdatedAt) || got.UpdatedAt.Before(dead.UpdatedAt) {
		t.Errorf("RedeliverEvent: got %+v, want delivery %d pending, 0 attempts, due now, with its event", got, dead.ID)
	}
	if list, err := svc.ListDeadLetters(ctx, 0, 0); err != nil || len(list) != 0 {
		t.Errorf("ListDeadLetters after the redelivery: got %d, %v, want none", len(list), err)
	}
	// The delivery returned is the one stored: the deliverer claims it as it.
	claimed, err := st.ClaimDeliveries(ctx, got.NextAttemptAt, time.Minute, 10)
	if err != nil || !slices.ContainsFunc(claimed, func(d authenticator.Delivery) bool {
		return d.ID == got.ID && d.Attempts == 1 && d.UpdatedAt.Equal(got.NextAttemptAt)
	}) {
		t.Errorf("ClaimDeliveries after the redelivery: got %+v, %v, want delivery %d at its first attempt", claimed, err, got.ID)
	}

	recs, err := st.ListAudit(ctx, 0, 0)
	if err != nil || len(recs) != len(before)+1 {
		t.Fatalf("audit records: got %d, %v, want %d", len(recs), err, len(before)+1)
	}
	rec := recs[len(recs)-1]
	wantDetail := map[string]string{"endpoint": dead.Endpoint, "event_id": strconv.FormatInt(dead.EventID, 10),
		"event_type": string(authenticator.EventUserInvited), "attempts": "1", "reason": "endpoint fixed"}
	if rec.Actor != "op-ann" || rec.Action != authenticator.AuditEventRedeliver || rec.Target != strconv.FormatInt(dead.ID, 10) ||
		!maps.Equal(rec.Detail, wantDetail) {
		t.Errorf("audit record: got %s %s %s %v, want op-ann %s %d %v", rec.Actor, rec.Action, rec.Target, rec.Detail,
			authenticator.AuditEventRedeliver, dead.ID, wantDetail)
	}
	if v, err := svc.VerifyAudit(ctx); err != nil || !v.Intact() {
		t.Errorf("VerifyAudit: got %+v, %v, want intact", v, err)
	}
	if _, err := svc.RedeliverEvent(ctx, authenticator.RedeliverRequest{Operator: "op-ann", DeliveryID: dead.ID}); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("RedeliverEvent twice: got %v, want ErrConflict", err)
	}
}

// failingCounts is a store that cannot count its outbox.
type failingCounts struct{ authenticator.Store }

func (failingCounts) CountDeliveries(context.Context) (authenticator.DeliveryStats, error) {
	return authenticator.DeliveryStats{}, errOutbox
}

// TestDeliveryStats checks the outbox's health as the metrics read it: the
// pending and dead deliveries and when the oldest pending one was queued,
// and a store's failure passed on.
func TestDeliveryStats(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, nil)
	ctx := t.Context()
	if got, err := svc.DeliveryStats(ctx); err != nil || got != (authenticator.DeliveryStats{}) {
		t.Errorf("DeliveryStats of an empty outbox: got %+v, %v, want zero", got, err)
	}
	_, pending := deadLetters(t, svc, st)
	got, err := svc.DeliveryStats(ctx)
	if err != nil {
		t.Fatalf("DeliveryStats: got %v, want nil", err)
	}
	if got.Pending != 1 || got.Dead != 1 || !got.OldestPendingAt.Equal(pending.CreatedAt) {
		t.Errorf("DeliveryStats: got %+v, want 1 pending, 1 dead, oldest pending at %v", got, pending.CreatedAt)
	}

	failing, _ := newOutboxService(t, func(s authenticator.Store) authenticator.Store { return failingCounts{s} })
	if _, err := failing.DeliveryStats(ctx); !errors.Is(err, errOutbox) {
		t.Errorf("DeliveryStats over a failing store: got %v, want the store's error", err)
	}
}
