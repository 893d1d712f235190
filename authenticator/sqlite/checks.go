package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// CreateCheck stores a new identity-verification check; see
// authenticator.Tx. The foreign key on user_external_id turns an unknown
// user into ErrNotFound.
func (t txn) CreateCheck(ctx context.Context, c authenticator.IDVCheck) error {
	if err := txstore.CheckCheck(storeName, c); err != nil {
		return err
	}
	_, err := t.exec(ctx,
		`INSERT INTO idv_checks (`+txstore.CheckColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Provider, c.RunID, c.UserExternalID, c.Journey, c.CeremonyID, c.ReferenceID,
		string(c.Status), c.Reason, micros(c.CreatedAt), micros(c.CompletedAt))
	if err != nil {
		return dbError(fmt.Sprintf("create check of user %q", c.UserExternalID), err)
	}
	return nil
}

// GetCheck returns the check provider ran as runID; see authenticator.Tx.
func (t txn) GetCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	row := t.queryRow(ctx, `SELECT `+txstore.CheckColumns+` FROM idv_checks WHERE provider = ? AND run_id = ?`,
		provider, runID)
	c, err := scanCheck(row)
	if err != nil {
		return authenticator.IDVCheck{}, dbError(fmt.Sprintf("get check of provider %q", provider), err)
	}
	return c, nil
}

// UpdateCheck applies fn to the stored check and saves the result; see
// authenticator.Tx. t must be a transaction.
func (t txn) UpdateCheck(ctx context.Context, provider, runID string, fn func(authenticator.IDVCheck) (authenticator.IDVCheck, error)) (authenticator.IDVCheck, error) {
	old, err := t.GetCheck(ctx, provider, runID)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	c, err := txstore.ApplyCheck(storeName, provider, runID, old, fn)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	_, err = t.exec(ctx,
		`UPDATE idv_checks SET reference_id = ?, status = ?, reason = ?, created_at = ?, completed_at = ?
		 WHERE provider = ? AND run_id = ?`,
		c.ReferenceID, string(c.Status), c.Reason, micros(c.CreatedAt), micros(c.CompletedAt),
		provider, runID)
	if err != nil {
		return authenticator.IDVCheck{}, dbError(fmt.Sprintf("update check of user %q", c.UserExternalID), err)
	}
	c.CreatedAt = normTime(c.CreatedAt)
	c.CompletedAt = normTime(c.CompletedAt)
	return c, nil
}

// scanCheck reads a row of txstore.CheckColumns.
func scanCheck(row scanner) (authenticator.IDVCheck, error) {
	var (
		c                  authenticator.IDVCheck
		created, completed sql.NullInt64
	)
	err := row.Scan(&c.Provider, &c.RunID, &c.UserExternalID, &c.Journey, &c.CeremonyID, &c.ReferenceID,
		&c.Status, &c.Reason, &created, &completed)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	c.CreatedAt = fromMicros(created)
	c.CompletedAt = fromMicros(completed)
	return c, nil
}
