package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// The lookups of getUser, one constant each so that the statement cache sees
// the same query text every time without building it.
const (
	// newAuditSubject draws a user's audit pseudonym when the caller gives
	// none, as migration 0007 did for the users before it.
	newAuditSubject = `'p-' || lower(hex(randomblob(16)))`

	selectUserByExternalID = `SELECT ` + txstore.UserColumns + ` FROM users WHERE external_id = ?`
	selectUserByHandle     = `SELECT ` + txstore.UserColumns + ` FROM users WHERE handle = ?`
	selectUserByUsername   = `SELECT ` + txstore.UserColumns + ` FROM users WHERE username = ?`
)

// CreateUser stores a new user; see authenticator.Tx.
func (t txn) CreateUser(ctx context.Context, u authenticator.User) error {
	if err := txstore.CheckUser(storeName, u); err != nil {
		return err
	}
	_, err := t.exec(ctx,
		`INSERT INTO users (`+txstore.UserColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(nullif(?, ''), `+newAuditSubject+`))`,
		u.ExternalID, u.Handle, username(u.Username), u.DisplayName, string(u.Status),
		micros(u.CreatedAt), micros(u.UpdatedAt), u.AuditSubject)
	if err != nil {
		return dbError(fmt.Sprintf("create user %q", u.ExternalID), err)
	}
	return nil
}

// GetUser returns the user with externalID; see authenticator.Tx.
func (t txn) GetUser(ctx context.Context, externalID string) (authenticator.User, error) {
	return t.getUser(ctx, "external_id", selectUserByExternalID, externalID)
}

// GetUserByHandle returns the user with the WebAuthn user handle; see
// authenticator.Tx.
func (t txn) GetUserByHandle(ctx context.Context, handle []byte) (authenticator.User, error) {
	return t.getUser(ctx, "handle", selectUserByHandle, handle)
}

// GetUserByUsername returns the user with username; see authenticator.Tx.
// The empty username is stored as NULL, so "" matches no one.
func (t txn) GetUserByUsername(ctx context.Context, username string) (authenticator.User, error) {
	return t.getUser(ctx, "username", selectUserByUsername, username)
}

// getUser returns the user query, one of the selectUserBy constants, finds
// by column.
func (t txn) getUser(ctx context.Context, column, query string, value any) (authenticator.User, error) {
	row := t.queryRow(ctx, query, value)
	u, err := scanUser(row)
	if err != nil {
		return authenticator.User{}, dbError("get user by "+column, err)
	}
	return u, nil
}

// UpdateUser applies fn to the stored user and saves the result; see
// authenticator.Tx. t must be a transaction.
func (t txn) UpdateUser(ctx context.Context, externalID string, fn func(authenticator.User) (authenticator.User, error)) (authenticator.User, error) {
	old, err := t.GetUser(ctx, externalID)
	if err != nil {
		return authenticator.User{}, err
	}
	u, err := txstore.ApplyUser(storeName, externalID, old, fn)
	if err != nil {
		return authenticator.User{}, err
	}
	_, err = t.exec(ctx,
		`UPDATE users SET username = ?, display_name = ?, status = ?, created_at = ?, updated_at = ?
		 WHERE external_id = ?`,
		username(u.Username), u.DisplayName, string(u.Status), micros(u.CreatedAt), micros(u.UpdatedAt),
		externalID)
	if err != nil {
		return authenticator.User{}, dbError(fmt.Sprintf("update user %q", externalID), err)
	}
	u.CreatedAt = normTime(u.CreatedAt)
	u.UpdatedAt = normTime(u.UpdatedAt)
	return u, nil
}

// ListUsers returns a page of users ordered by ExternalID; see
// authenticator.Tx.
func (t txn) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	limit, err := txstore.PageSize(storeName, q.Limit)
	if err != nil {
		return nil, err
	}
	return list(ctx, t, "list users", scanUser,
		`SELECT `+txstore.UserColumns+` FROM users WHERE external_id > ? ORDER BY external_id LIMIT ?`,
		q.After, limit)
}

// CountUsersByStatus counts the users in each status in one query; see
// authenticator.Tx.
func (t txn) CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error) {
	rows, err := list(ctx, t, "count users by status", txstore.ScanStatusCount,
		`SELECT status, count(*) FROM users GROUP BY status`)
	if err != nil {
		return nil, err
	}
	return txstore.StatusCounts(rows), nil
}

// scanUser reads a row of txstore.UserColumns.
func scanUser(row scanner) (authenticator.User, error) {
	var (
		u                authenticator.User
		name             sql.NullString
		created, updated sql.NullInt64
	)
	if err := row.Scan(&u.ExternalID, &u.Handle, &name, &u.DisplayName, &u.Status, &created, &updated, &u.AuditSubject); err != nil {
		return authenticator.User{}, err
	}
	u.Username = name.String
	u.CreatedAt = fromMicros(created)
	u.UpdatedAt = fromMicros(updated)
	return u, nil
}

// username is how a username is stored: NULL when empty, so that users
// without one never collide on the unique index.
func username(name string) sql.NullString {
	return sql.NullString{String: name, Valid: name != ""}
}
