package postgres

import (
	"context"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// eraseStatements delete what refers to a user, children before parents,
// each counted into the Erased field it names (nil: not counted).
var eraseStatements = []struct {
	query string
	count func(*authenticator.Erased) *int
}{
	{`DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE user_external_id = $1)`, nil},
	{`DELETE FROM events WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Events }},
	{`DELETE FROM approvals WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Approvals }},
	{`DELETE FROM idv_checks WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Checks }},
	{`DELETE FROM biometric_references WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.References }},
	{`DELETE FROM credentials WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Credentials }},
}

// EraseUser deletes the user and everything that refers to them; see
// authenticator.Tx. It locks the user's row first, so that nothing is added
// for the user while it runs; t must be a transaction.
func (t txn) EraseUser(ctx context.Context, externalID string) (authenticator.Erased, error) {
	if _, err := t.getUser(ctx, "external_id", externalID, forUpdate); err != nil {
		return authenticator.Erased{}, err
	}
	var out authenticator.Erased
	for _, st := range eraseStatements {
		tag, err := t.q.Exec(ctx, st.query, externalID)
		if err != nil {
			return authenticator.Erased{}, dbError(fmt.Sprintf("erase user %q", externalID), err)
		}
		if st.count != nil {
			*st.count(&out) = int(tag.RowsAffected())
		}
	}
	if _, err := t.q.Exec(ctx, `DELETE FROM users WHERE external_id = $1`, externalID); err != nil {
		return authenticator.Erased{}, dbError(fmt.Sprintf("erase user %q", externalID), err)
	}
	return out, nil
}
