package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var deliveryTests = []test{
	{"Lifecycle", testDeliveryLifecycle},
	{"LeaseExpires", testDeliveryLeaseExpires},
	{"RolledBackWithTheEvent", testDeliveryRolledBack},
	{"UnknownEvent", testDeliveryUnknownEvent},
	{"BadArguments", testDeliveryBadArguments},
	{"ConcurrentClaims", testDeliveryConcurrentClaims},
	{"Counts", testDeliveryCounts},
}

// appendEvent stores an event of user alice (created if need be) or fails
// the test now.
func appendEvent(t *testing.T, s authenticator.Tx, n int) authenticator.Event {
	t.Helper()
	ctx := t.Context()
	if _, err := s.GetUser(ctx, "alice"); errors.Is(err, authenticator.ErrNotFound) {
		createUser(t, s, newUser("alice"))
	}
	e, err := s.AppendEvent(ctx, authenticator.Event{
		Type: authenticator.EventUserSuspended, UserExternalID: "alice", CredentialID: []byte{1, 2, 0xff},
		Actor: "operator-sub", Detail: map[string]string{"reason": fmt.Sprint("case ", n)}, At: at(n),
	})
	mustOK(t, "AppendEvent", err)
	return e
}

func claim(t *testing.T, s authenticator.Tx, now time.Time, lease time.Duration, limit int) []authenticator.Delivery {
	t.Helper()
	got, err := s.ClaimDeliveries(t.Context(), now, lease, limit)
	mustOK(t, fmt.Sprintf("ClaimDeliveries(%v)", now), err)
	return got
}

// testDeliveryLifecycle walks deliveries through claim, failure, retry,
// delivery, dead-lettering and redelivery, checking every field.
func testDeliveryLifecycle(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	ev := appendEvent(t, s, 1)
	mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, ev.ID, []string{"https://a.example/hook", "https://b.example/hook"}, at(1)))

	if got := claim(t, s, at(0), time.Minute, 10); len(got) != 0 {
		t.Fatalf("ClaimDeliveries before they are due: got %d, want none", len(got))
	}
	got := claim(t, s, at(2), 30*time.Second, 10)
	if len(got) != 2 {
		t.Fatalf("ClaimDeliveries: got %d deliveries, want 2", len(got))
	}
	want := []authenticator.Delivery{
		{ID: got[0].ID, EventID: ev.ID, Endpoint: "https://a.example/hook", Attempts: 1, NextAttemptAt: norm(at(2).Add(30 * time.Second)),
			Status: authenticator.DeliveryPending, CreatedAt: norm(at(1)), UpdatedAt: norm(at(2)), Event: ev},
		{ID: got[1].ID, EventID: ev.ID, Endpoint: "https://b.example/hook", Attempts: 1, NextAttemptAt: norm(at(2).Add(30 * time.Second)),
			Status: authenticator.DeliveryPending, CreatedAt: norm(at(1)), UpdatedAt: norm(at(2)), Event: ev},
	}
	checkDiff(t, "ClaimDeliveries", got, want)
	if got[1].ID <= got[0].ID {
		t.Errorf("ClaimDeliveries: ids %d, %d, want increasing", got[0].ID, got[1].ID)
	}
	if again := claim(t, s, at(3), time.Minute, 10); len(again) != 0 {
		t.Errorf("ClaimDeliveries while leased: got %d, want none", len(again))
	}
	a, b := got[0], got[1]
	mustOK(t, "SettleDelivery(delivered)", s.SettleDelivery(ctx, a.ID, authenticator.DeliveryDelivered, time.Time{}, "", at(4)))
	wantErr(t, "SettleDelivery of a delivered one", s.SettleDelivery(ctx, a.ID, authenticator.DeliveryDead, time.Time{}, "x", at(4)), authenticator.ErrNotFound)
	mustOK(t, "SettleDelivery(retry)", s.SettleDelivery(ctx, b.ID, authenticator.DeliveryPending, at(10), "status 500", at(4)))
	if got := claim(t, s, at(9), time.Hour, 10); len(got) != 0 {
		t.Errorf("ClaimDeliveries before the retry is due: got %d, want none", len(got))
	}
	retry := claim(t, s, at(10), time.Hour, 10)
	b.Attempts, b.NextAttemptAt, b.UpdatedAt, b.LastError = 2, norm(at(10).Add(time.Hour)), norm(at(10)), "status 500"
	checkDiff(t, "ClaimDeliveries of the retry", retry, []authenticator.Delivery{b})

	if dead, err := s.ListDeadDeliveries(ctx, 0, 0); err != nil || len(dead) != 0 {
		t.Errorf("ListDeadDeliveries before any: got %d, %v, want none", len(dead), err)
	}
	mustOK(t, "SettleDelivery(dead)", s.SettleDelivery(ctx, b.ID, authenticator.DeliveryDead, time.Time{}, "gave up: status 503", at(11)))
	dead, err := s.ListDeadDeliveries(ctx, 0, 0)
	mustOK(t, "ListDeadDeliveries", err)
	b.Status, b.LastError, b.UpdatedAt = authenticator.DeliveryDead, "gave up: status 503", norm(at(11))
	checkDiff(t, "ListDeadDeliveries", dead, []authenticator.Delivery{b})
	if after, err := s.ListDeadDeliveries(ctx, b.ID, 10); err != nil || len(after) != 0 {
		t.Errorf("ListDeadDeliveries after the last: got %d, %v, want none", len(after), err)
	}
	if got := claim(t, s, at(59), time.Hour, 10); len(got) != 0 {
		t.Errorf("ClaimDeliveries with only delivered and dead ones: got %d, want none", len(got))
	}

	wantErr(t, "RedeliverDelivery of a delivered one", s.RedeliverDelivery(ctx, a.ID, at(12)), authenticator.ErrConflict)
	wantErr(t, "RedeliverDelivery of an unknown one", s.RedeliverDelivery(ctx, b.ID+1000, at(12)), authenticator.ErrNotFound)
	mustOK(t, "RedeliverDelivery", s.RedeliverDelivery(ctx, b.ID, at(12)))
	if dead, err := s.ListDeadDeliveries(ctx, 0, 0); err != nil || len(dead) != 0 {
		t.Errorf("ListDeadDeliveries after redelivery: got %d, %v, want none", len(dead), err)
	}
	again := claim(t, s, at(13), time.Minute, 1)
	b.Status, b.Attempts, b.NextAttemptAt, b.UpdatedAt = authenticator.DeliveryPending, 1, norm(at(13).Add(time.Minute)), norm(at(13))
	checkDiff(t, "ClaimDeliveries after redelivery", again, []authenticator.Delivery{b})
}

// testDeliveryLeaseExpires checks crash recovery: a delivery claimed and
// never settled is claimed again once its lease ends, and not before.
func testDeliveryLeaseExpires(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	ev := appendEvent(t, s, 1)
	mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, ev.ID, []string{"https://a.example/hook"}, at(1)))
	first := claim(t, s, at(2), 10*time.Second, 5)
	if len(first) != 1 {
		t.Fatalf("ClaimDeliveries: got %d, want 1", len(first))
	}
	if got := claim(t, s, at(11), 10*time.Second, 5); len(got) != 0 {
		t.Fatalf("ClaimDeliveries within the lease: got %d, want none", len(got))
	}
	second := claim(t, s, at(12), 10*time.Second, 5)
	if len(second) != 1 || second[0].ID != first[0].ID || second[0].Attempts != 2 {
		t.Fatalf("ClaimDeliveries after the lease: got %+v, want delivery %d at attempt 2", second, first[0].ID)
	}
}

// testDeliveryRolledBack checks that the outbox row shares the event's
// transaction: rolled back, neither is kept.
func testDeliveryRolledBack(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		ev := appendEvent(t, tx, 1)
		if err := tx.EnqueueDeliveries(ctx, ev.ID, []string{"https://a.example/hook"}, at(1)); err != nil {
			return err
		}
		return errSentinel
	})
	wantErr(t, "Atomic", err, errSentinel)
	if got := claim(t, s, at(59), time.Minute, 10); len(got) != 0 {
		t.Errorf("ClaimDeliveries after rollback: got %d, want none", len(got))
	}
	if evs, err := s.ListEvents(ctx, "alice", 0); err != nil || len(evs) != 0 {
		t.Errorf("ListEvents after rollback: got %d, %v, want none", len(evs), err)
	}
}

// testDeliveryUnknownEvent checks that a delivery must name a stored event.
func testDeliveryUnknownEvent(t *testing.T, s authenticator.Store) {
	err := s.EnqueueDeliveries(t.Context(), 987654, []string{"https://a.example/hook"}, at(1))
	wantErr(t, "EnqueueDeliveries of an unknown event", err, authenticator.ErrNotFound)
}

// testDeliveryBadArguments checks the argument checks.
func testDeliveryBadArguments(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	_, err := s.ClaimDeliveries(ctx, at(1), 0, 10)
	wantErr(t, "ClaimDeliveries with lease 0", err, authenticator.ErrInvalidArgument)
	_, err = s.ClaimDeliveries(ctx, at(1), time.Minute, 0)
	wantErr(t, "ClaimDeliveries with limit 0", err, authenticator.ErrInvalidArgument)
	_, err = s.ListDeadDeliveries(ctx, 0, authenticator.MaxPageSize+1)
	wantErr(t, "ListDeadDeliveries over MaxPageSize", err, authenticator.ErrInvalidArgument)
	err = s.SettleDelivery(ctx, 1, "lost", time.Time{}, "", at(1))
	wantErr(t, "SettleDelivery with an unknown status", err, authenticator.ErrInvalidArgument)
	ev := appendEvent(t, s, 1)
	err = s.EnqueueDeliveries(ctx, ev.ID, []string{""}, at(1))
	wantErr(t, "EnqueueDeliveries to an empty endpoint", err, authenticator.ErrInvalidArgument)
}

// testDeliveryConcurrentClaims checks that concurrent claimers never take
// the same delivery: every one is claimed exactly once.
func testDeliveryConcurrentClaims(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	const n = 24
	for i := range n {
		ev := appendEvent(t, s, i%60)
		mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, ev.ID, []string{"https://a.example/hook"}, at(0)))
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for {
				got, err := s.ClaimDeliveries(ctx, at(1), time.Hour, 3)
				if err != nil {
					t.Errorf("ClaimDeliveries: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d distinct deliveries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %d claimed %d times, want once", id, c)
		}
	}
}

// countDeliveries returns the store's outbox counts or fails the test now.
func countDeliveries(t *testing.T, s authenticator.Tx, when string) authenticator.DeliveryStats {
	t.Helper()
	st, err := s.CountDeliveries(t.Context())
	mustOK(t, "CountDeliveries "+when, err)
	return st
}

// testDeliveryCounts checks CountDeliveries as deliveries are queued,
// leased, delivered, dead-lettered and redelivered: a leased delivery is
// still pending, a delivered one is neither, and the oldest pending one is
// the earliest queued, a redelivered dead letter keeping its CreatedAt.
func testDeliveryCounts(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	checkDiff(t, "CountDeliveries of an empty outbox", countDeliveries(t, s, "empty"), authenticator.DeliveryStats{})

	first, second := appendEvent(t, s, 1), appendEvent(t, s, 2)
	mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, first.ID, []string{"https://a.example/hook", "https://b.example/hook"}, at(1)))
	mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, second.ID, []string{"https://a.example/hook"}, at(3)))
	checkDiff(t, "CountDeliveries after queueing", countDeliveries(t, s, "after queueing"),
		authenticator.DeliveryStats{Pending: 3, OldestPendingAt: norm(at(1))})

	got := claim(t, s, at(4), 10*time.Second, 10)
	if len(got) != 3 {
		t.Fatalf("ClaimDeliveries: got %d, want 3", len(got))
	}
	checkDiff(t, "CountDeliveries while leased", countDeliveries(t, s, "while leased"),
		authenticator.DeliveryStats{Pending: 3, OldestPendingAt: norm(at(1))})

	mustOK(t, "SettleDelivery(delivered)", s.SettleDelivery(ctx, got[0].ID, authenticator.DeliveryDelivered, time.Time{}, "", at(5)))
	mustOK(t, "SettleDelivery(dead)", s.SettleDelivery(ctx, got[1].ID, authenticator.DeliveryDead, time.Time{}, "gave up", at(5)))
	checkDiff(t, "CountDeliveries after settling", countDeliveries(t, s, "after settling"),
		authenticator.DeliveryStats{Pending: 1, Dead: 1, OldestPendingAt: norm(at(3))})

	mustOK(t, "RedeliverDelivery", s.RedeliverDelivery(ctx, got[1].ID, at(6)))
	checkDiff(t, "CountDeliveries after redelivery", countDeliveries(t, s, "after redelivery"),
		authenticator.DeliveryStats{Pending: 2, OldestPendingAt: norm(at(1))})

	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		for _, d := range claim(t, tx, at(59), time.Minute, 10) {
			if err := tx.SettleDelivery(ctx, d.ID, authenticator.DeliveryDelivered, time.Time{}, "", at(59)); err != nil {
				return err
			}
		}
		checkDiff(t, "CountDeliveries in the transaction that delivered the rest", countDeliveries(t, tx, "in a transaction"),
			authenticator.DeliveryStats{})
		return nil
	})
	mustOK(t, "Atomic", err)
	checkDiff(t, "CountDeliveries with every delivery delivered", countDeliveries(t, s, "at the end"), authenticator.DeliveryStats{})
}
