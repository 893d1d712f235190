package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// storeName names the store in the messages of the checks it shares
// through txstore.
const storeName = "postgres"

// dbError turns err, which op got from the database, into the
// authenticator's typed errors with err as the cause (see the package
// documentation for the table).
func dbError(op string, err error) error {
	return authenticator.Errorf(errorCode(err), "postgres: %s: %w", op, err)
}

// errorCode classifies err by its SQLSTATE
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func errorCode(err error) authenticator.Code {
	var (
		pe *pgconn.PgError
		ce *pgconn.ConnectError
	)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return authenticator.CodeNotFound
	case errors.As(err, &pe):
		return sqlStateCode(pe.Code)
	case errors.As(err, &ce), pgconn.Timeout(err):
		return authenticator.CodeUnavailable
	}
	return authenticator.CodeInternal
}

// sqlStateCode maps a SQLSTATE onto a code.
func sqlStateCode(state string) authenticator.Code {
	switch state {
	case "23505": // unique_violation
		return authenticator.CodeConflict
	case "23503": // foreign_key_violation: the row referred to is absent
		return authenticator.CodeNotFound
	case "23514", "23502": // check_violation, not_null_violation
		return authenticator.CodeInvalidArgument
	case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
		return authenticator.CodeUnavailable
	case "57014": // query_canceled: statement_timeout, or the context ended
		return authenticator.CodeUnavailable
	}
	switch state[:min(2, len(state))] {
	case "22": // data exception: a value the column cannot hold (say, invalid UTF-8 or a NUL in text)
		return authenticator.CodeInvalidArgument
	case "08", "53", "57": // connection exception, insufficient resources, operator intervention
		return authenticator.CodeUnavailable
	}
	return authenticator.CodeInternal
}
