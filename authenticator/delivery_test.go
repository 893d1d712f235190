package authenticator_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
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
