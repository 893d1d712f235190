package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// txn implements authenticator.Tx with the statements of c: in tx when tx
// is set, else directly on c's pool (reads outside a transaction). Its
// updaters read, call the closure and write in separate statements, so they
// need tx.
type txn struct {
	c  *stmtCache
	tx *sql.Tx
}

// stmt returns the prepared statement to run query with, or nil if query
// must run unprepared. Outside a transaction it prepares query if need be.
// In one it only uses statements prepared already: preparing needs a
// connection of the pool, and the transaction holds the write pool's only
// one, so it notes the query for the store to prepare once the transaction
// is over (stmtCache.prepareWanted).
func (t txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if t.tx == nil {
		return t.c.get(ctx, query)
	}
	if st := t.c.lookup(query); st != nil {
		// Reuses the statement already prepared on the transaction's
		// connection; it is released when the transaction ends.
		return t.tx.StmtContext(ctx, st), nil
	}
	t.c.want(query)
	return nil, nil
}

// exec runs a statement that returns no rows.
func (t txn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return t.tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// query runs a statement that returns rows.
func (t txn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return t.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a statement that returns at most one row. As with
// *sql.Row, an error shows when the row is scanned.
func (t txn) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := t.stmt(ctx, query)
	switch {
	case err != nil:
		return errRow{err}
	case st == nil:
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose query failed before it ran.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// scanner is a *sql.Row or *sql.Rows.
type scanner = txstore.Scanner

// list runs query, which returns rows, and scans every row with scan;
// what names the operation in its error.
func list[T any](ctx context.Context, t txn, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	out, err := txstore.Collect(rows, scan)
	if err = errors.Join(err, rows.Close()); err != nil {
		return nil, dbError(what, err)
	}
	return out, nil
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
