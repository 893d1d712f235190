package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// CreateReference stores a new biometric reference; see authenticator.Tx.
// The foreign key on user_external_id turns an unknown user into
// ErrNotFound.
func (t txn) CreateReference(ctx context.Context, r authenticator.BiometricReference) error {
	if err := txstore.CheckReference(storeName, r); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx,
		`INSERT INTO biometric_references (`+txstore.ReferenceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, r.UserExternalID, r.Provider, r.SealedRef, string(r.Status), ts(r.CreatedAt), ts(r.RevokedAt))
	if err != nil {
		return dbError(fmt.Sprintf("create reference of user %q", r.UserExternalID), err)
	}
	return nil
}

// ListReferences returns the user's references, oldest first (the zero
// time first), in the order they were stored when created at the same
// instant; see authenticator.Tx.
func (t txn) ListReferences(ctx context.Context, externalID string) ([]authenticator.BiometricReference, error) {
	return list(ctx, t, fmt.Sprintf("list references of user %q", externalID), scanReference,
		`SELECT `+txstore.ReferenceColumns+` FROM biometric_references WHERE user_external_id = $1
		 ORDER BY created_at NULLS FIRST, seq`,
		externalID)
}

// UpdateReference applies fn to the stored reference, locked until the
// transaction ends, and saves the result; see authenticator.Tx. t must be a
// transaction.
func (t txn) UpdateReference(ctx context.Context, id string, fn func(authenticator.BiometricReference) (authenticator.BiometricReference, error)) (authenticator.BiometricReference, error) {
	row := t.q.QueryRow(ctx, `SELECT `+txstore.ReferenceColumns+` FROM biometric_references WHERE id = $1`+forUpdate, id)
	old, err := scanReference(row)
	if err != nil {
		return authenticator.BiometricReference{}, dbError("get reference", err)
	}
	r, err := txstore.ApplyReference(storeName, id, old, fn)
	if err != nil {
		return authenticator.BiometricReference{}, err
	}
	_, err = t.q.Exec(ctx,
		`UPDATE biometric_references SET sealed_ref = $1, status = $2, created_at = $3, revoked_at = $4
		 WHERE id = $5`,
		r.SealedRef, string(r.Status), ts(r.CreatedAt), ts(r.RevokedAt), id)
	if err != nil {
		return authenticator.BiometricReference{}, dbError(fmt.Sprintf("update reference of user %q", r.UserExternalID), err)
	}
	r.CreatedAt = normTime(r.CreatedAt)
	r.RevokedAt = normTime(r.RevokedAt)
	return r, nil
}

// scanReference reads a row of txstore.ReferenceColumns.
func scanReference(row scanner) (authenticator.BiometricReference, error) {
	var (
		r                authenticator.BiometricReference
		status           string
		created, revoked pgtype.Timestamptz
	)
	if err := row.Scan(&r.ID, &r.UserExternalID, &r.Provider, &r.SealedRef, &status, &created, &revoked); err != nil {
		return authenticator.BiometricReference{}, err
	}
	r.Status = authenticator.ReferenceStatus(status)
	r.CreatedAt = fromTS(created)
	r.RevokedAt = fromTS(revoked)
	return r, nil
}
