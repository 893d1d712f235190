package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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
	_, err := t.exec(ctx,
		`INSERT INTO biometric_references (`+txstore.ReferenceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.UserExternalID, r.Provider, r.SealedRef, string(r.Status),
		micros(r.CreatedAt), micros(r.RevokedAt))
	if err != nil {
		return dbError(fmt.Sprintf("create reference of user %q", r.UserExternalID), err)
	}
	return nil
}

// getReference returns the reference with id or ErrNotFound.
func (t txn) getReference(ctx context.Context, id string) (authenticator.BiometricReference, error) {
	row := t.queryRow(ctx, `SELECT `+txstore.ReferenceColumns+` FROM biometric_references WHERE id = ?`, id)
	r, err := scanReference(row)
	if err != nil {
		return authenticator.BiometricReference{}, dbError("get reference", err)
	}
	return r, nil
}

// ListReferences returns the user's references, oldest first, in the order
// they were stored when created at the same instant; see authenticator.Tx.
func (t txn) ListReferences(ctx context.Context, externalID string) ([]authenticator.BiometricReference, error) {
	return list(ctx, t, fmt.Sprintf("list references of user %q", externalID), scanReference,
		`SELECT `+txstore.ReferenceColumns+` FROM biometric_references WHERE user_external_id = ? ORDER BY created_at, rowid`,
		externalID)
}

// UpdateReference applies fn to the stored reference and saves the result;
// see authenticator.Tx. t must be a transaction.
func (t txn) UpdateReference(ctx context.Context, id string, fn func(authenticator.BiometricReference) (authenticator.BiometricReference, error)) (authenticator.BiometricReference, error) {
	old, err := t.getReference(ctx, id)
	if err != nil {
		return authenticator.BiometricReference{}, err
	}
	r, err := txstore.ApplyReference(storeName, id, old, fn)
	if err != nil {
		return authenticator.BiometricReference{}, err
	}
	_, err = t.exec(ctx,
		`UPDATE biometric_references SET sealed_ref = ?, status = ?, created_at = ?, revoked_at = ?
		 WHERE id = ?`,
		r.SealedRef, string(r.Status), micros(r.CreatedAt), micros(r.RevokedAt),
		id)
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
		created, revoked sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.UserExternalID, &r.Provider, &r.SealedRef, &r.Status, &created, &revoked); err != nil {
		return authenticator.BiometricReference{}, err
	}
	r.CreatedAt = fromMicros(created)
	r.RevokedAt = fromMicros(revoked)
	return r, nil
}
