package txstore

import (
	"context"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// eraseSteps delete what refers to a user, children before parents and the
// user last, each counted into the Erased field it names (nil: not
// counted). $1 stands for the user's external id.
var eraseSteps = []struct {
	query string
	count func(*authenticator.Erased) *int
}{
	{`DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE user_external_id = $1)`, nil},
	{`DELETE FROM events WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Events }},
	{`DELETE FROM approvals WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Approvals }},
	{`DELETE FROM idv_checks WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Checks }},
	{`DELETE FROM biometric_references WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.References }},
	{`DELETE FROM credentials WHERE user_external_id = $1`, func(e *authenticator.Erased) *int { return &e.Credentials }},
	{`DELETE FROM users WHERE external_id = $1`, nil},
}

// EraseUser runs the deletes of Tx.EraseUser through exec, which runs one
// statement with the external id as its only argument and returns the
// rows it affected; placeholder replaces $1 in the statements (SQLite's
// "?", PostgreSQL's "$1"). The caller has checked, and where it can
// locked, the user, inside its transaction.
func EraseUser(ctx context.Context, externalID, placeholder string,
	exec func(ctx context.Context, query, externalID string) (int64, error),
) (authenticator.Erased, error) {
	var out authenticator.Erased
	for _, st := range eraseSteps {
		n, err := exec(ctx, strings.ReplaceAll(st.query, "$1", placeholder), externalID)
		if err != nil {
			return authenticator.Erased{}, err
		}
		if st.count != nil {
			*st.count(&out) = int(n)
		}
	}
	return out, nil
}
