package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

const deliveryFrom = ` FROM event_deliveries d JOIN events e ON e.id = d.event_id`

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
	list, err := json.Marshal(endpoints)
	if err != nil {
		return authenticator.Errorf(authenticator.CodeInternal, "sqlite: encode endpoints: %w", err)
	}
	_, err = t.exec(ctx,
		`INSERT INTO event_deliveries (event_id, endpoint, attempts, next_attempt_at, status, created_at, updated_at)
		 SELECT ?, value, 0, ?, 'pending', ?, ? FROM json_each(?) ORDER BY key`,
		eventID, micros(at), micros(at), micros(at), string(list))
	if err != nil {
		return dbError(fmt.Sprintf("queue event %d for delivery", eventID), err)
	}
	return nil
}

// ClaimDeliveries leases due deliveries; see authenticator.Tx. SQLite has
// one writer, so the transaction it runs in is the only claimer.
func (t txn) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]authenticator.Delivery, error) {
	if err := authenticator.ValidateClaim(lease, limit); err != nil {
		return nil, err
	}
	ids, err := list(ctx, t, "claim deliveries", scanID,
		`UPDATE event_deliveries SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
		 WHERE id IN (SELECT id FROM event_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
		              ORDER BY next_attempt_at, id LIMIT ?)
		 RETURNING id`,
		micros(now.Add(lease)), micros(now), micros(now), limit)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	claimed, err := json.Marshal(ids)
	if err != nil {
		return nil, authenticator.Errorf(authenticator.CodeInternal, "sqlite: encode claimed ids: %w", err)
	}
	out, err := list(ctx, t, "read claimed deliveries", scanDelivery,
		`SELECT `+txstore.DeliveryColumns+deliveryFrom+` WHERE d.id IN (SELECT value FROM json_each(?))`, string(claimed))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b authenticator.Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// scanID reads a row of one ID.
func scanID(row scanner) (int64, error) {
	var id int64
	return id, row.Scan(&id)
}

// SettleDelivery ends an attempt on a pending delivery; see authenticator.Tx.
func (t txn) SettleDelivery(ctx context.Context, id int64, status authenticator.DeliveryStatus, next time.Time, lastError string, at time.Time) error {
	if err := authenticator.ValidateSettle(status); err != nil {
		return err
	}
	res, err := t.exec(ctx,
		`UPDATE event_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, updated_at = ?
		 WHERE id = ? AND status = 'pending'`,
		string(status), micros(next), lastError, micros(at), id)
	return oneRow(res, err, id, authenticator.DeliveryPending, "settle")
}

// RedeliverDelivery moves a dead letter back to pending; see
// authenticator.Tx.
func (t txn) RedeliverDelivery(ctx context.Context, id int64, at time.Time) error {
	res, err := t.exec(ctx,
		`UPDATE event_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
		 WHERE id = ? AND status = 'dead'`,
		micros(at), micros(at), id)
	if err := oneRow(res, err, id, authenticator.DeliveryDead, "redeliver"); !errors.Is(err, authenticator.ErrNotFound) {
		return err
	}
	// Not a dead letter: absent (ErrNotFound) or in another state.
	var status string
	switch err := t.queryRow(ctx, `SELECT status FROM event_deliveries WHERE id = ?`, id).Scan(&status); {
	case errors.Is(err, sql.ErrNoRows):
		return authenticator.ErrDeliveryState(id, authenticator.DeliveryDead)
	case err != nil:
		return dbError(fmt.Sprintf("redeliver delivery %d", id), err)
	}
	return authenticator.ErrDeliveryNotDead(id, authenticator.DeliveryStatus(status))
}

// oneRow checks that an update of delivery id in state want changed a row.
func oneRow(res sql.Result, err error, id int64, want authenticator.DeliveryStatus, op string) error {
	if err != nil {
		return dbError(fmt.Sprintf("%s delivery %d", op, id), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(fmt.Sprintf("%s delivery %d", op, id), err)
	}
	if n == 0 {
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
		`SELECT `+txstore.DeliveryColumns+deliveryFrom+` WHERE d.status = 'dead' AND d.id > ? ORDER BY d.id LIMIT ?`, after, n)
}

// CountDeliveries reports the outbox's pending and dead deliveries; see
// authenticator.Tx. Each query reads only the rows of its status, through
// that status's partial index.
func (t txn) CountDeliveries(ctx context.Context) (authenticator.DeliveryStats, error) {
	var (
		st     authenticator.DeliveryStats
		oldest sql.NullInt64
	)
	err := t.queryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM event_deliveries WHERE status = 'pending'`).Scan(&st.Pending, &oldest)
	if err != nil {
		return authenticator.DeliveryStats{}, dbError("count pending deliveries", err)
	}
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM event_deliveries WHERE status = 'dead'`).Scan(&st.Dead); err != nil {
		return authenticator.DeliveryStats{}, dbError("count dead deliveries", err)
	}
	st.OldestPendingAt = fromMicros(oldest)
	return st, nil
}

// scanDelivery reads a row of txstore.DeliveryColumns.
func scanDelivery(row scanner) (authenticator.Delivery, error) {
	var (
		d                      authenticator.Delivery
		next, created, updated sql.NullInt64
		status                 string
	)
	ev, err := scanEvent(txstore.Prefixed(row, &d.ID, &d.EventID, &d.Endpoint, &d.Attempts, &next, &status, &d.LastError, &created, &updated))
	if err != nil {
		return authenticator.Delivery{}, err
	}
	d.Status = authenticator.DeliveryStatus(status)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	d.Event = ev
	return d, nil
}
