package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// querier is what txn runs statements on: a pgx.Tx, or the pool for reads
// outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txn implements authenticator.Tx on q. Its updaters lock the row they read
// (SELECT … FOR UPDATE) until q's transaction ends, so they need q to be a
// transaction; the Store's own updaters open one.
type txn struct {
	q querier
}

// scanner is a pgx.Row or pgx.Rows.
type scanner = txstore.Scanner

// list runs query, which returns rows, and scans every row with scan;
// what names the operation in its error.
func list[T any](ctx context.Context, t txn, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.q.Query(ctx, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	defer rows.Close()
	out, err := txstore.Collect(rows, scan)
	if err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
}

// ts is t as stored: UTC, truncated to microseconds (timestamptz's
// precision, truncated here so that the database does not round), NULL for
// the zero time.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// fromTS is the inverse of ts, in UTC.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// normTime is t as it comes back from the database.
func normTime(t time.Time) time.Time { return fromTS(ts(t)) }

// text is how an optional string is stored: NULL when empty, so that an
// empty username never collides on the unique index.
func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
