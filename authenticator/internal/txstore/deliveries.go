package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// CheckEndpoint checks an endpoint a store's EnqueueDeliveries is given;
// store names the store in the message ("sqlite", "postgres").
func CheckEndpoint(store, endpoint string) error {
	if endpoint == "" {
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: empty delivery endpoint", store)
	}
	return nil
}

// Scanner is a row a store scans: a *sql.Row or *sql.Rows, a pgx.Row or
// pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Prefixed returns row as a Scanner that scans its first len(pre) columns
// into pre and the rest into what its Scan is given, so that a store's
// event scanner can read the event columns after a delivery's
// (DeliveryColumns).
func Prefixed(row Scanner, pre ...any) Scanner { return prefixScanner{row, pre} }

// prefixScanner is the Scanner Prefixed returns.
type prefixScanner struct {
	row Scanner
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.row.Scan(append(p.pre, dest...)...) }
