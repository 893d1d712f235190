package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// newAuditSubject draws a user's audit pseudonym when the caller gives
// none, as migration 0007 did for the users before it: "p-" and the 32 hex
// digits of a random UUID.
const newAuditSubject = `'p-' || replace(gen_random_uuid()::text, '-', '')`

// CreateUser stores a new user; see authenticator.Tx.
func (t txn) CreateUser(ctx context.Context, u authenticator.User) error {
	if err := txstore.CheckUser(storeName, u); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx,
		`INSERT INTO users (`+txstore.UserColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce(nullif($8, ''), `+newAuditSubject+`))`,
		u.ExternalID, u.Handle, text(u.Username), u.DisplayName, string(u.Status), ts(u.CreatedAt), ts(u.UpdatedAt), u.AuditSubject)
	if err != nil {
		return dbError(fmt.Sprintf("create user %q", u.ExternalID), err)
	}
	return nil
}

// GetUser returns the user with externalID; see authenticator.Tx.
func (t txn) GetUser(ctx context.Context, externalID string) (authenticator.User, error) {
	return t.getUser(ctx, "external_id", externalID, "")
}

// GetUserByHandle returns the user with the WebAuthn user handle; see
// authenticator.Tx.
func (t txn) GetUserByHandle(ctx context.Context, handle []byte) (authenticator.User, error) {
	return t.getUser(ctx, "handle", handle, "")
}

// GetUserByUsername returns the user with username; see authenticator.Tx.
// The empty username is stored as NULL, so "" matches no one.
func (t txn) GetUserByUsername(ctx context.Context, username string) (authenticator.User, error) {
	return t.getUser(ctx, "username", username, "")
}

// getUser returns the user whose column, a constant, holds value; lock is
// "" or " FOR UPDATE".
func (t txn) getUser(ctx context.Context, column string, value any, lock string) (authenticator.User, error) {
	row := t.q.QueryRow(ctx, `SELECT `+txstore.UserColumns+` FROM users WHERE `+column+` = $1`+lock, value)
	u, err := scanUser(row)
	if err != nil {
		return authenticator.User{}, dbError("get user by "+column, err)
	}
	return u, nil
}

// UpdateUser applies fn to the stored user, locked until the transaction
// ends, and saves the result; see authenticator.Tx. t must be a transaction.
func (t txn) UpdateUser(ctx context.Context, externalID string, fn func(authenticator.User) (authenticator.User, error)) (authenticator.User, error) {
	old, err := t.getUser(ctx, "external_id", externalID, forUpdate)
	if err != nil {
		return authenticator.User{}, err
	}
	u, err := txstore.ApplyUser(storeName, externalID, old, fn)
	if err != nil {
		return authenticator.User{}, err
	}
	_, err = t.q.Exec(ctx,
		`UPDATE users SET username = $1, display_name = $2, status = $3, created_at = $4, updated_at = $5
		 WHERE external_id = $6`,
		text(u.Username), u.DisplayName, string(u.Status), ts(u.CreatedAt), ts(u.UpdatedAt), externalID)
	if err != nil {
		return authenticator.User{}, dbError(fmt.Sprintf("update user %q", externalID), err)
	}
	u.CreatedAt = normTime(u.CreatedAt)
	u.UpdatedAt = normTime(u.UpdatedAt)
	return u, nil
}

// ListUsers returns a page of users ordered by ExternalID, byte-wise (the
// column's "C" collation); see authenticator.Tx.
func (t txn) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	limit, err := txstore.PageSize(storeName, q.Limit)
	if err != nil {
		return nil, err
	}
	return list(ctx, t, "list users", scanUser,
		`SELECT `+txstore.UserColumns+` FROM users WHERE external_id > $1 ORDER BY external_id LIMIT $2`,
		q.After, limit)
}

// forUpdate locks the rows an updater reads until its transaction ends.
const forUpdate = " FOR UPDATE"

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
		name             pgtype.Text
		status           string
		created, updated pgtype.Timestamptz
	)
	if err := row.Scan(&u.ExternalID, &u.Handle, &name, &u.DisplayName, &status, &created, &updated, &u.AuditSubject); err != nil {
		return authenticator.User{}, err
	}
	u.Username = name.String
	u.Status = authenticator.UserStatus(status)
	u.CreatedAt = fromTS(created)
	u.UpdatedAt = fromTS(updated)
	return u, nil
}
