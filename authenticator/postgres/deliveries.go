package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// EnqueueDeliveries queues event eventID for each endpoint, in one
// statement whatever their number; see authenticator.Tx. The rows are
// inserted in the order of endpoints, so their IDs follow it.
func (t txn) EnqueueDeliveries(ctx context.Context, eventID int64, endpoints []string, at time.Time) error {
	for _, ep := range endpoints {
		if err := txstore.CheckEndpoint(storeName, ep); err != nil {
			return err
		}
	}
	if len(endpoints) == 0 {
		return nil
	}
	_, err := t.q.Exec(ctx,
		`INSERT INTO event_deliveries (event_id, endpoint, attempts, next_attempt_at, status, created_at, updated_at)
		 SELECT $1, ep, 0, $3, 'pending', $3, $3 FROM unnest($2::text[]) WITH ORDINALITY AS u(ep, n) ORDER BY n`,
		eventID, endpoints, ts(at))
	if err != nil {
		return dbError(fmt.Sprintf("queue event %d for delivery", eventID), err)
	}
	return nil
}

// ClaimDeliveries leases due deliveries; see authenticator.Tx. The due rows
// are picked FOR UPDATE SKIP LOCKED, so replicas claiming at once each take
// different rows instead of waiting for one another.
func (t txn) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]authenticator.Delivery, error) {
	if err := authenticator.ValidateClaim(lease, limit); err != nil {
		return nil, err
	}
	out, err := list(ctx, t, "claim deliveries", scanDelivery,
		`UPDATE event_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $1, updated_at = $2
		 FROM events e
		 WHERE e.id = d.event_id AND d.id IN (
		     SELECT id FROM event_deliveries WHERE status = 'pending' AND next_attempt_at <= $2
		     ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		 RETURNING `+txstore.DeliveryColumns,
		ts(now.Add(lease)), ts(now), limit)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b authenticator.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// SettleDelivery ends an attempt on a pending delivery; see authenticator.Tx.
func (t txn) SettleDelivery(ctx context.Context, id int64, status authenticator.DeliveryStatus, next time.Time, lastError string, at time.Time) error {
	if err := authenticator.ValidateSettle(status); err != nil {
		return err
	}
	tag, err := t.q.Exec(ctx,
		`UPDATE event_deliveries SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3, updated_at = $4
		 WHERE id = $5 AND status = 'pending'`,
		string(status), ts(next), lastError, ts(at), id)
	return oneRow(tag, err, id, authenticator.DeliveryPending, "settle")
}

// RedeliverDelivery moves a dead letter back to pending; see
// authenticator.Tx.
func (t txn) RedeliverDelivery(ctx context.Context, id int64, at time.Time) error {
	tag, err := t.q.Exec(ctx,
		`UPDATE event_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1
		 WHERE id = $2 AND status = 'dead'`,
		ts(at), id)
	if err := oneRow(tag, err, id, authenticator.DeliveryDead, "redeliver"); !errors.Is(err, authenticator.ErrNotFound) {
		return err
	}
	// Not a dead letter: absent (ErrNotFound) or in another state.
	var status string
	switch err := t.q.QueryRow(ctx, `SELECT status FROM event_deliveries WHERE id = $1`, id).Scan(&status); {
	case errors.Is(err, pgx.ErrNoRows):
		return authenticator.ErrDeliveryState(id, authenticator.DeliveryDead)
	case err != nil:
		return dbError(fmt.Sprintf("redeliver delivery %d", id), err)
	}
	return authenticator.ErrDeliveryNotDead(id, authenticator.DeliveryStatus(status))
}

// oneRow checks that an update of delivery id in state want changed a row.
func oneRow(tag pgconn.CommandTag, err error, id int64, want authenticator.DeliveryStatus, op string) error {
	if err != nil {
		return dbError(fmt.Sprintf("%s delivery %d", op, id), err)
	}
	if tag.RowsAffected() == 0 {
		return authenticator.ErrDeliveryState(id, want)
	}
	return nil
}

// ListDeadDeliveries returns the dead letters after ID after; see authenticator.Tx.
func (t txn) ListDeadDeliveries(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	n, err := txstore.PageSize(storeName, limit)
	if err != nil {
		return nil, err
	}
	return list(ctx, t, "list dead deliveries", scanDelivery,
		`SELECT `+txstore.DeliveryColumns+` FROM event_deliveries d JOIN events e ON e.id = d.event_id
		 WHERE d.status = 'dead' AND d.id > $1 ORDER BY d.id LIMIT $2`, after, n)
}

// CountDeliveries reports the outbox's pending and dead deliveries; see
// authenticator.Tx. Each query reads only the rows of its status, through
// that status's partial index.
func (t txn) CountDeliveries(ctx context.Context) (authenticator.DeliveryStats, error) {
	var (
		st     authenticator.DeliveryStats
		oldest pgtype.Timestamptz
	)
	err := t.q.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM event_deliveries WHERE status = 'pending'`).Scan(&st.Pending, &oldest)
	if err != nil {
		return authenticator.DeliveryStats{}, dbError("count pending deliveries", err)
	}
	if err := t.q.QueryRow(ctx, `SELECT COUNT(*) FROM event_deliveries WHERE status = 'dead'`).Scan(&st.Dead); err != nil {
		return authenticator.DeliveryStats{}, dbError("count dead deliveries", err)
	}
	st.OldestPendingAt = fromTS(oldest)
	return st, nil
}

// scanDelivery reads a row of txstore.DeliveryColumns.
func scanDelivery(row scanner) (authenticator.Delivery, error) {
	var (
		d                      authenticator.Delivery
		next, created, updated pgtype.Timestamptz
		attempts               int32
		status                 string
	)
	ev, err := scanEvent(txstore.Prefixed(row, &d.ID, &d.EventID, &d.Endpoint, &attempts, &next, &status, &d.LastError, &created, &updated))
	if err != nil {
		return authenticator.Delivery{}, err
	}
	d.Attempts = int(attempts)
	d.Status = authenticator.DeliveryStatus(status)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromTS(next), fromTS(created), fromTS(updated)
	d.Event = ev
	return d, nil
}
