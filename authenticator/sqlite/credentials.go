package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// CreateCredential stores a new credential; see authenticator.Tx. The
// foreign key on user_external_id turns an unknown user into ErrNotFound.
func (t txn) CreateCredential(ctx context.Context, c authenticator.Credential) error {
	if err := txstore.CheckCredential(storeName, c); err != nil {
		return err
	}
	transports, err := marshalTransports(c.Transports)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx,
		`INSERT INTO credentials (`+txstore.CredentialColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.UserExternalID, c.PublicKey, c.AttestationType, c.AttestationFormat, c.AAGUID,
		c.SignCount, c.BackupEligible, c.BackupState, transports, string(c.Status), c.StatusReason,
		micros(c.CreatedAt), micros(c.LastUsedAt), c.Name)
	if err != nil {
		return dbError(fmt.Sprintf("create credential of user %q", c.UserExternalID), err)
	}
	return nil
}

// GetCredential returns the credential with id; see authenticator.Tx.
func (t txn) GetCredential(ctx context.Context, id []byte) (authenticator.Credential, error) {
	row := t.queryRow(ctx, `SELECT `+txstore.CredentialColumns+` FROM credentials WHERE id = ?`, id)
	c, err := scanCredential(row)
	if err != nil {
		return authenticator.Credential{}, dbError("get credential", err)
	}
	return c, nil
}

// ListCredentials returns the user's credentials, oldest first, in the order
// they were stored when created at the same instant; see authenticator.Tx.
func (t txn) ListCredentials(ctx context.Context, externalID string) ([]authenticator.Credential, error) {
	return list(ctx, t, fmt.Sprintf("list credentials of user %q", externalID), scanCredential,
		`SELECT `+txstore.CredentialColumns+` FROM credentials WHERE user_external_id = ? ORDER BY created_at, rowid`,
		externalID)
}

// UpdateCredential applies fn to the stored credential and saves the result;
// see authenticator.Tx. t must be a transaction.
func (t txn) UpdateCredential(ctx context.Context, id []byte, fn func(authenticator.Credential) (authenticator.Credential, error)) (authenticator.Credential, error) {
	old, err := t.GetCredential(ctx, id)
	if err != nil {
		return authenticator.Credential{}, err
	}
	c, err := txstore.ApplyCredential(storeName, id, old, fn)
	if err != nil {
		return authenticator.Credential{}, err
	}
	user := c.UserExternalID
	transports, err := marshalTransports(c.Transports)
	if err != nil {
		return authenticator.Credential{}, err
	}
	_, err = t.exec(ctx,
		`UPDATE credentials SET public_key = ?, attestation_type = ?, attestation_format = ?, aaguid = ?,
			sign_count = ?, backup_eligible = ?, backup_state = ?, transports = ?, status = ?,
			status_reason = ?, created_at = ?, last_used_at = ?, name = ?
		 WHERE id = ?`,
		c.PublicKey, c.AttestationType, c.AttestationFormat, c.AAGUID,
		c.SignCount, c.BackupEligible, c.BackupState, transports, string(c.Status),
		c.StatusReason, micros(c.CreatedAt), micros(c.LastUsedAt), c.Name,
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
		transports        string
		created, lastUsed sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.UserExternalID, &c.PublicKey, &c.AttestationType, &c.AttestationFormat, &c.AAGUID,
		&c.SignCount, &c.BackupEligible, &c.BackupState, &transports, &c.Status, &c.StatusReason, &created, &lastUsed, &c.Name)
	if err != nil {
		return authenticator.Credential{}, err
	}
	if err := json.Unmarshal([]byte(transports), &c.Transports); err != nil {
		return authenticator.Credential{}, fmt.Errorf("transports: %w", err)
	}
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	c.CreatedAt = fromMicros(created)
	c.LastUsedAt = fromMicros(lastUsed)
	return c, nil
}

// marshalTransports encodes transports as a JSON array, never null.
func marshalTransports(transports []string) (string, error) {
	if transports == nil {
		transports = []string{}
	}
	b, err := json.Marshal(transports)
	if err != nil {
		return "", authenticator.Errorf(authenticator.CodeInternal, "sqlite: encode transports: %w", err)
	}
	return string(b), nil
}
