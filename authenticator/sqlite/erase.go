package sqlite

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
	{`DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE user_external_id = ?)`, nil},
	{`DELETE FROM events WHERE user_external_id = ?`, func(e *authenticator.Erased) *int { return &e.Events }},
	{`DELETE FROM approvals WHERE user_external_id = ?`, func(e *authenticator.Erased) *int { return &e.Approvals }},
	{`DELETE FROM idv_checks WHERE user_external_id = ?`, func(e *authenticator.Erased) *int { return &e.Checks }},
	{`DELETE FROM biometric_references WHERE user_external_id = ?`, func(e *authenticator.Erased) *int { return &e.References }},
	{`DELETE FROM credentials WHERE user_external_id = ?`, func(e *authenticator.Erased) *int { return &e.Credentials }},
}

// EraseUser deletes the user and everything that refers to them; see
// authenticator.Tx. t must be a transaction.
func (t txn) EraseUser(ctx context.Context, externalID string) (authenticator.Erased, error) {
	if t.tx == nil {
		return authenticator.Erased{}, authenticator.Errorf(authenticator.CodeInternal, "sqlite: erase user outside a transaction")
	}
	if _, err := t.GetUser(ctx, externalID); err != nil {
		return authenticator.Erased{}, err
	}
	var out authenticator.Erased
	for _, st := range eraseStatements {
		res, err := t.exec(ctx, st.query, externalID)
		if err != nil {
			return authenticator.Erased{}, dbError(fmt.Sprintf("erase user %q", externalID), err)
		}
		if st.count == nil {
			continue
		}
		n, err := res.RowsAffected()
		if err != nil {
			return authenticator.Erased{}, dbError(fmt.Sprintf("erase user %q", externalID), err)
		}
		*st.count(&out) = int(n)
	}
	if _, err := t.exec(ctx, `DELETE FROM users WHERE external_id = ?`, externalID); err != nil {
		return authenticator.Erased{}, dbError(fmt.Sprintf("erase user %q", externalID), err)
	}
	return out, nil
}
