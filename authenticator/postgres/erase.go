package postgres

import (
	"context"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// EraseUser deletes the user and everything that refers to them; see
// authenticator.Tx. It locks the user's row first, so that nothing is added
// for the user while it runs; t must be a transaction.
func (t txn) EraseUser(ctx context.Context, externalID string) (authenticator.Erased, error) {
	if _, err := t.getUser(ctx, "external_id", externalID, forUpdate); err != nil {
		return authenticator.Erased{}, err
	}
	return txstore.EraseUser(ctx, externalID, "$1", func(ctx context.Context, query, id string) (int64, error) {
		tag, err := t.q.Exec(ctx, query, id)
		if err != nil {
			return 0, dbError(fmt.Sprintf("erase user %q", id), err)
		}
		return tag.RowsAffected(), nil
	})
}
