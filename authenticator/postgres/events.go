package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// AppendEvent stores e and returns it with its ID set; see authenticator.Tx.
// IDs come from an identity column (a sequence), so they only ever
// increase; a rolled-back transaction leaves a gap.
func (t txn) AppendEvent(ctx context.Context, e authenticator.Event) (authenticator.Event, error) {
	detail, err := txstore.EncodeDetail(storeName, "event", e.Detail)
	if err != nil {
		return authenticator.Event{}, err
	}
	err = t.q.QueryRow(ctx,
		`INSERT INTO events (type, user_external_id, credential_id, actor, detail, at)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		string(e.Type), e.UserExternalID, e.CredentialID, e.Actor, detail, ts(e.At)).Scan(&e.ID)
	if err != nil {
		return authenticator.Event{}, dbError(fmt.Sprintf("append event of user %q", e.UserExternalID), err)
	}
	e.At = normTime(e.At)
	return e, nil
}

// ListEvents returns the user's most recent events, newest first; see
// authenticator.Tx. limit is 1..MaxPageSize, 0 meaning DefaultPageSize.
func (t txn) ListEvents(ctx context.Context, externalID string, limit int) ([]authenticator.Event, error) {
	n, err := txstore.PageSize(storeName, limit)
	if err != nil {
		return nil, err
	}
	return list(ctx, t, fmt.Sprintf("list events of user %q", externalID), scanEvent,
		`SELECT `+txstore.EventColumns+` FROM events WHERE user_external_id = $1 ORDER BY id DESC LIMIT $2`,
		externalID, n)
}

// scanEvent reads a row of txstore.EventColumns.
func scanEvent(row scanner) (authenticator.Event, error) {
	var (
		e      authenticator.Event
		typ    string
		detail []byte
		at     pgtype.Timestamptz
	)
	if err := row.Scan(&e.ID, &typ, &e.UserExternalID, &e.CredentialID, &e.Actor, &detail, &at); err != nil {
		return authenticator.Event{}, err
	}
	var err error
	if e.Detail, err = txstore.DecodeDetail(detail); err != nil {
		return authenticator.Event{}, fmt.Errorf("event detail: %w", err)
	}
	e.Type = authenticator.EventType(typ)
	e.At = fromTS(at)
	return e, nil
}

// CountEventsByDay counts events per UTC day and type; see authenticator.Tx.
func (t txn) CountEventsByDay(ctx context.Context, types []authenticator.EventType, since, until time.Time) ([]authenticator.DayCount, error) {
	if since.After(until) {
		return nil, authenticator.UserError(authenticator.CodeInvalidArgument, "since must not be after until", nil)
	}
	q := `SELECT date_trunc('day', at, 'UTC') AS day, type, COUNT(*) FROM events WHERE at >= $1 AND at < $2`
	args := []any{ts(since), ts(until)}
	if len(types) > 0 {
		names := make([]string, len(types))
		for i, typ := range types {
			names[i] = string(typ)
		}
		q += ` AND type = ANY($3)`
		args = append(args, names)
	}
	q += ` GROUP BY day, type ORDER BY day, type`
	return list(ctx, t, "count events by day", scanDayCount, q, args...)
}

// scanDayCount reads a row of CountEventsByDay's query: day, type, count.
func scanDayCount(row scanner) (authenticator.DayCount, error) {
	var (
		c   authenticator.DayCount
		typ string
		day pgtype.Timestamptz
		n   int64
	)
	if err := row.Scan(&day, &typ, &n); err != nil {
		return authenticator.DayCount{}, err
	}
	c.Day, c.Type, c.Count = fromTS(day), authenticator.EventType(typ), int(n)
	return c, nil
}
