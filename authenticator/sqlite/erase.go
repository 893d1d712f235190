package sqlite

import (
	"context"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// EraseUser deletes the user and everything that refers to them; see
// authenticator.Tx. t must be a transaction.
func (t txn) EraseUser(ctx context.Context, externalID string) (authenticator.Erased, error) {
	if t.tx == nil {
		return authenticator.Erased{}, authenticator.Errorf(authenticator.CodeInternal, "sqlite: erase user outside a transaction")
	}
	if _, err := t.GetUser(ctx, externalID); err != nil {
		return authenticator.Erased{}, err
	}
	return txstore.EraseUser(ctx, externalID, "?", func(ctx context.Context, query, id string) (int64, error) {
		res, err := t.exec(ctx, query, id)
		if err == nil {
			var n int64
			if n, err = res.RowsAffected(); err == nil {
				return n, nil
			}
		}
		return 0, dbError(fmt.Sprintf("erase user %q", id), err)
	})
}
