package postgres

import "context"

// Setting returns the value of the run-time parameter name on one of s's
// connections.
func Setting(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}

// Password returns the password s's connections authenticate with.
func Password(s *Store) string { return s.pool.Config().ConnConfig.Password }
