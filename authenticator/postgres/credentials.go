package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// CreateCredential stores a new credential; see authenticator.Tx. The
// foreign key on user_external_id turns an unknown user into ErrNotFound.
func (t txn) CreateCredential(ctx context.Context, c authenticator.Credential) error {
	if err := txstore.CheckCredential(storeName, c); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx,
		`INSERT INTO credentials (`+txstore.CredentialColumns+`)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		c.ID, c.UserExternalID, c.PublicKey, c.AttestationType, c.AttestationFormat, c.AAGUID,
		int64(c.SignCount), c.BackupEligible, c.BackupState, transports(c.Transports), string(c.Status), c.StatusReason,
		ts(c.CreatedAt), ts(c.LastUsedAt), c.Name)
	if err != nil {
		return dbError(fmt.Sprintf("create credential of user %q", c.UserExternalID), err)
	}
	return nil
}

// GetCredential returns the credential with id; see authenticator.Tx.
func (t txn) GetCredential(ctx context.Context, id []byte) (authenticator.Credential, error) {
	return t.getCredential(ctx, id, "")
}

// getCredential returns the credential with id; lock is "" or forUpdate.
func (t txn) getCredential(ctx context.Context, id []byte, lock string) (authenticator.Credential, error) {
	row := t.q.QueryRow(ctx, `SELECT `+txstore.CredentialColumns+` FROM credentials WHERE id = $1`+lock, id)
	c, err := scanCredential(row)
	if err != nil {
		return authenticator.Credential{}, dbError("get credential", err)
	}
	return c, nil
}

// ListCredentials returns the user's credentials, oldest first (the zero
// time first), in the order they were stored when created at the same
// instant; see authenticator.Tx.
func (t txn) ListCredentials(ctx context.Context, externalID string) ([]authenticator.Credential, error) {
	return list(ctx, t, fmt.Sprintf("list credentials of user %q", externalID), scanCredential,
		`SELECT `+txstore.CredentialColumns+` FROM credentials WHERE user_external_id = $1
		 ORDER BY created_at NULLS FIRST, seq`,
		externalID)
}

// UpdateCredential applies fn to the stored credential, locked until the
// transaction ends, and saves the result; see authenticator.Tx. t must be a
// transaction.
func (t txn) UpdateCredential(ctx context.Context, id []byte, fn func(authenticator.Credential) (authenticator.Credential, error)) (authenticator.Credential, error) {
	old, err := t.getCredential(ctx, id, forUpdate)
	if err != nil {
		return authenticator.Credential{}, err
	}
	c, err := txstore.ApplyCredential(storeName, id, old, fn)
	if err != nil {
		return authenticator.Credential{}, err
	}
	user := c.UserExternalID
	_, err = t.q.Exec(ctx,
		`UPDATE credentials SET public_key = $1, attestation_type = $2, attestation_format = $3, aaguid = $4,
			sign_count = $5, backup_eligible = $6, backup_state = $7, transports = $8, status = $9,
			status_reason = $10, created_at = $11, last_used_at = $12, name = $13
		 WHERE id = $14`,
		c.PublicKey, c.AttestationType, c.AttestationFormat, c.AAGUID,
		int64(c.SignCount), c.BackupEligible, c.BackupState, transports(c.Transports), string(c.Status),
		c.StatusReason, ts(c.CreatedAt), ts(c.LastUsedAt), c.Name,
		id)
	if err != nil {
		return authenticator.Credential{}, dbError(fmt.Sprintf("update credential of user %q", user), err)
	}
	c.CreatedAt = normTime(c.CreatedAt)
	c.LastUsedAt = normTime(c.LastUsedAt)
	return c, nil
}

// scanCredential reads a row of txstore.CredentialColumns.
func scanCredential(row scanner) (authenticator.Credential, error) {
	var (
		c                 authenticator.Credential
		signCount         int64
		status            string
		created, lastUsed pgtype.Timestamptz
	)
	err := row.Scan(&c.ID, &c.UserExternalID, &c.PublicKey, &c.AttestationType, &c.AttestationFormat, &c.AAGUID,
		&signCount, &c.BackupEligible, &c.BackupState, &c.Transports, &status, &c.StatusReason, &created, &lastUsed, &c.Name)
	if err != nil {
		return authenticator.Credential{}, err
	}
	if signCount < 0 || signCount > 1<<32-1 { // the column's CHECK makes this impossible
		return authenticator.Credential{}, fmt.Errorf("sign_count %d is outside uint32", signCount)
	}
	c.SignCount = uint32(signCount)
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	c.Status = authenticator.CredentialStatus(status)
	c.CreatedAt = fromTS(created)
	c.LastUsedAt = fromTS(lastUsed)
	return c, nil
}

// transports is how transports are stored: a text[], never NULL.
func transports(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}
