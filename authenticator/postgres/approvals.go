package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// CreateApproval stores a transaction approval; see authenticator.Tx. The
// foreign key on user_external_id turns an unknown user into ErrNotFound.
func (t txn) CreateApproval(ctx context.Context, a authenticator.Approval) error {
	if err := txstore.CheckApproval(storeName, a); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx,
		`INSERT INTO approvals (`+txstore.ApprovalColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.UserExternalID, a.ClientID, txstore.NonNil(a.CredentialID), a.ACR, txstore.NonNil(a.AuthorizationDetails), a.DetailsHash,
		txstore.NonNil(a.AuthenticatorData), txstore.NonNil(a.ClientDataJSON), txstore.NonNil(a.Signature), ts(a.CreatedAt))
	if err != nil {
		return dbError(fmt.Sprintf("create approval of user %q", a.UserExternalID), err)
	}
	return nil
}

// GetApproval returns the approval with id or ErrNotFound; see authenticator.Tx.
func (t txn) GetApproval(ctx context.Context, id string) (authenticator.Approval, error) {
	var (
		a       authenticator.Approval
		details []byte
		created pgtype.Timestamptz
	)
	err := t.q.QueryRow(ctx, `SELECT `+txstore.ApprovalColumns+` FROM approvals WHERE id = $1`, id).Scan(
		&a.ID, &a.UserExternalID, &a.ClientID, &a.CredentialID, &a.ACR, &details, &a.DetailsHash,
		&a.AuthenticatorData, &a.ClientDataJSON, &a.Signature, &created)
	if err != nil {
		return authenticator.Approval{}, dbError("get approval", err)
	}
	a.AuthorizationDetails, a.CreatedAt = details, fromTS(created)
	return a, nil
}
