package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

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
	_, err := t.q.Exec(ctx,
		`INSERT INTO idv_checks (`+txstore.CheckColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.Provider, c.RunID, c.UserExternalID, c.Journey, c.CeremonyID, c.ReferenceID,
		string(c.Status), c.Reason, ts(c.CreatedAt), ts(c.CompletedAt))
	if err != nil {
		return dbError(fmt.Sprintf("create check of user %q", c.UserExternalID), err)
	}
	return nil
}

// GetCheck returns the check provider ran as runID; see authenticator.Tx.
func (t txn) GetCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return t.getCheck(ctx, provider, runID, "")
}

// getCheck returns the check; lock is "" or forUpdate.
func (t txn) getCheck(ctx context.Context, provider, runID, lock string) (authenticator.IDVCheck, error) {
	row := t.q.QueryRow(ctx,
		`SELECT `+txstore.CheckColumns+` FROM idv_checks WHERE provider = $1 AND run_id = $2`+lock, provider, runID)
	c, err := scanCheck(row)
	if err != nil {
		return authenticator.IDVCheck{}, dbError(fmt.Sprintf("get check of provider %q", provider), err)
	}
	return c, nil
}

// UpdateCheck applies fn to the stored check, locked until the transaction
// ends, and saves the result; see authenticator.Tx. t must be a
// transaction. The lock is what makes a check leave pending exactly once:
// of concurrent updaters, each closure sees the value the previous one
// committed.
func (t txn) UpdateCheck(ctx context.Context, provider, runID string, fn func(authenticator.IDVCheck) (authenticator.IDVCheck, error)) (authenticator.IDVCheck, error) {
	old, err := t.getCheck(ctx, provider, runID, forUpdate)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	c, err := txstore.ApplyCheck(storeName, provider, runID, old, fn)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	_, err = t.q.Exec(ctx,
		`UPDATE idv_checks SET reference_id = $1, status = $2, reason = $3, created_at = $4, completed_at = $5
		 WHERE provider = $6 AND run_id = $7`,
		c.ReferenceID, string(c.Status), c.Reason, ts(c.CreatedAt), ts(c.CompletedAt), provider, runID)
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
		status             string
		created, completed pgtype.Timestamptz
	)
	err := row.Scan(&c.Provider, &c.RunID, &c.UserExternalID, &c.Journey, &c.CeremonyID, &c.ReferenceID,
		&status, &c.Reason, &created, &completed)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	c.Status = authenticator.CheckStatus(status)
	c.CreatedAt = fromTS(created)
	c.CompletedAt = fromTS(completed)
	return c, nil
}
