package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// AppendEvent stores e and returns it with its ID set; see authenticator.Tx.
// IDs come from an AUTOINCREMENT key, so they only ever increase.
func (t txn) AppendEvent(ctx context.Context, e authenticator.Event) (authenticator.Event, error) {
	detail, err := txstore.EncodeDetail(storeName, "event", e.Detail)
	if err != nil {
		return authenticator.Event{}, err
	}
	res, err := t.exec(ctx,
		`INSERT INTO events (type, user_external_id, credential_id, actor, detail, at) VALUES (?, ?, ?, ?, ?, ?)`,
		string(e.Type), e.UserExternalID, e.CredentialID, e.Actor, detail, micros(e.At))
	if err != nil {
		return authenticator.Event{}, dbError(fmt.Sprintf("append event of user %q", e.UserExternalID), err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return authenticator.Event{}, dbError(fmt.Sprintf("append event of user %q", e.UserExternalID), err)
	}
	e.ID = id
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
		`SELECT `+txstore.EventColumns+` FROM events WHERE user_external_id = ? ORDER BY id DESC LIMIT ?`,
		externalID, n)
}

// scanEvent reads a row of txstore.EventColumns.
func scanEvent(row scanner) (authenticator.Event, error) {
	var (
		e      authenticator.Event
		detail string
		at     sql.NullInt64
	)
	if err := row.Scan(&e.ID, &e.Type, &e.UserExternalID, &e.CredentialID, &e.Actor, &detail, &at); err != nil {
		return authenticator.Event{}, err
	}
	var err error
	if e.Detail, err = txstore.DecodeDetail([]byte(detail)); err != nil {
		return authenticator.Event{}, fmt.Errorf("event detail: %w", err)
	}
	e.At = fromMicros(at)
	return e, nil
}

// microsPerDay is the length of a UTC day in the unit At is stored in.
const microsPerDay = 24 * 60 * 60 * 1_000_000

// CountEventsByDay counts events per UTC day and type; see authenticator.Tx.
// At is stored as Unix microseconds, so the day is computed in SQL by
// flooring to a multiple of microsPerDay.
func (t txn) CountEventsByDay(ctx context.Context, types []authenticator.EventType, since, until time.Time) ([]authenticator.DayCount, error) {
	if since.After(until) {
		return nil, authenticator.UserError(authenticator.CodeInvalidArgument, "since must not be after until", nil)
	}
	q := `SELECT (at - (((at % ?) + ?) % ?)) AS day, type, COUNT(*) FROM events WHERE at >= ? AND at < ?`
	args := []any{microsPerDay, microsPerDay, microsPerDay, since.UnixMicro(), until.UnixMicro()}
	if len(types) > 0 {
		q += ` AND type IN (?` + strings.Repeat(`, ?`, len(types)-1) + `)`
		for _, typ := range types {
			args = append(args, string(typ))
		}
	}
	q += ` GROUP BY day, type ORDER BY day, type`
	return list(ctx, t, "count events by day", scanDayCount, q, args...)
}

// scanDayCount reads a row of CountEventsByDay's query: day, type, count.
func scanDayCount(row scanner) (authenticator.DayCount, error) {
	var (
		c   authenticator.DayCount
		day int64
	)
	if err := row.Scan(&day, &c.Type, &c.Count); err != nil {
		return authenticator.DayCount{}, err
	}
	c.Day = time.UnixMicro(day).UTC()
	return c, nil
}
