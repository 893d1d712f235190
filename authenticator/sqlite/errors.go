package sqlite

import (
	"database/sql"
	"errors"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// storeName names the store in the messages of the checks it shares
// through txstore.
const storeName = "sqlite"

// dbError turns err, which op got from the database, into the
// authenticator's typed errors with err as the cause: no rows and
// foreign-key violations (the row referred to is absent) are not_found,
// unique violations conflict, a lock still held after the busy timeout
// unavailable, and anything else internal.
func dbError(op string, err error) error {
	code := authenticator.CodeInternal
	var se *msqlite.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		code = authenticator.CodeNotFound
	case errors.As(err, &se):
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			code = authenticator.CodeConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			code = authenticator.CodeNotFound
		default:
			if isBusy(err) {
				code = authenticator.CodeUnavailable
			}
		}
	}
	return authenticator.Errorf(code, "sqlite: %s: %w", op, err)
}

// isBusy reports whether err is SQLITE_BUSY (a lock another connection
// holds). Extended result codes keep the primary code in the low byte.
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
