package txstore

// Scanner is a row a store scans: a *sql.Row or *sql.Rows, a pgx.Row or
// pgx.Rows.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows are the rows of a query: a *sql.Rows or pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect scans every row of rows with scan. The caller closes rows.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
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
