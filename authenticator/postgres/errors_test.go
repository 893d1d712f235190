package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

func TestDBError(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	tests := map[string]struct {
		err  error
		want authenticator.Code
	}{
		"no rows":               {pgx.ErrNoRows, authenticator.CodeNotFound},
		"unique violation":      {pg("23505"), authenticator.CodeConflict},
		"foreign key violation": {pg("23503"), authenticator.CodeNotFound},
		"check violation":       {pg("23514"), authenticator.CodeInvalidArgument},
		"invalid byte sequence": {pg("22021"), authenticator.CodeInvalidArgument},
		"serialization failure": {pg("40001"), authenticator.CodeUnavailable},
		"deadlock":              {pg("40P01"), authenticator.CodeUnavailable},
		"lock timeout":          {pg("55P03"), authenticator.CodeUnavailable},
		"too many connections":  {pg("53300"), authenticator.CodeUnavailable},
		"admin shutdown":        {pg("57P01"), authenticator.CodeUnavailable},
		"syntax error":          {pg("42601"), authenticator.CodeInternal},
		"empty state":           {pg(""), authenticator.CodeInternal},
		"something else":        {errors.New("boom"), authenticator.CodeInternal},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := dbError("op", tc.err)
			if got := authenticator.CodeOf(err); got != tc.want {
				t.Errorf("dbError(%v): got code %q, want %q", tc.err, got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("dbError(%v): got %v, want it to wrap the cause", tc.err, err)
			}
		})
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	t.Parallel()
	if migrationsErr != nil {
		t.Fatalf("embedded migrations: got error %v, want nil", migrationsErr)
	}
	if len(migrations) == 0 {
		t.Fatal("embedded migrations: got none, want some")
	}
}
