package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// queryer is what txn needs from a *sql.DB or a *sql.Tx.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txn implements authenticator.Tx on q. Its updaters read, call the closure
// and write in separate statements, so q must be a transaction for them.
type txn struct {
	q queryer
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) (_ []T, err error) {
	defer func() { err = errors.Join(err, rows.Close()) }()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// micros is t as stored: Unix microseconds, NULL for the zero time.
func micros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromMicros is the inverse of micros, in UTC.
func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// normTime is t as it comes back from the database.
func normTime(t time.Time) time.Time { return fromMicros(micros(t)) }

// pageSize checks a caller's page size: 0 means DefaultPageSize.
func pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return authenticator.DefaultPageSize, nil
	case limit < 0 || limit > authenticator.MaxPageSize:
		return 0, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"sqlite: page size %d is outside 1..%d", limit, authenticator.MaxPageSize)
	}
	return limit, nil
}
