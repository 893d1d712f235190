// Package txstore gives a store the authenticator.Tx methods that
// authenticator.Store offers outside a transaction, once for every store:
// reads go to the store's reader, writes of one statement through its
// single-write function, and the rest (the Update* updaters, whose closure
// must see the row it replaces, and audit appends, which extend a chain) in
// a transaction of their own.
//
// It also holds what the stores' txn types share where the logic is the
// same and only the SQL dialect differs: the column lists; the checks of a
// Create* method's argument, of an endpoint to deliver to, of a List*
// method's page size and of what an Update* closure returns, each naming
// the store in its messages; the encoding of an event's or audit record's
// detail, the linking of an audit record to the chain's head, and the
// scanning of rows: every row of a query, and a delivery's event after its
// columns.
package txstore

import (
	"context"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Facade implements authenticator.Tx outside a transaction. A store embeds
// it and adds Atomic and Close.
type Facade struct {
	read   func() authenticator.Tx
	write  func(ctx context.Context, fn func(authenticator.Tx) error) error
	atomic func(ctx context.Context, fn func(authenticator.Tx) error) error
}

// New returns a Facade over a store's reader (reads outside a transaction),
// write (runs a single-statement write: a transaction of its own where the
// store needs one, like SQLite's single writer, or the pool directly) and
// atomic (the store's Atomic).
func New(read func() authenticator.Tx, write, atomic func(ctx context.Context, fn func(authenticator.Tx) error) error) Facade {
	return Facade{read: read, write: write, atomic: atomic}
}

// result runs fn through run and returns what fn returned.
func result[T any](ctx context.Context, run func(context.Context, func(authenticator.Tx) error) error, fn func(authenticator.Tx) (T, error)) (T, error) {
	var out T
	err := run(ctx, func(tx authenticator.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// CreateUser stores a new user; see authenticator.Tx.
func (f Facade) CreateUser(ctx context.Context, u authenticator.User) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.CreateUser(ctx, u) })
}

// GetUser returns the user with externalID; see authenticator.Tx.
func (f Facade) GetUser(ctx context.Context, externalID string) (authenticator.User, error) {
	return f.read().GetUser(ctx, externalID)
}

// GetUserByHandle returns the user with the WebAuthn user handle; see authenticator.Tx.
func (f Facade) GetUserByHandle(ctx context.Context, handle []byte) (authenticator.User, error) {
	return f.read().GetUserByHandle(ctx, handle)
}

// GetUserByUsername returns the user with username; see authenticator.Tx.
func (f Facade) GetUserByUsername(ctx context.Context, username string) (authenticator.User, error) {
	return f.read().GetUserByUsername(ctx, username)
}

// UpdateUser applies fn to the stored user in a transaction of its own; see authenticator.Tx.
func (f Facade) UpdateUser(ctx context.Context, externalID string, fn func(authenticator.User) (authenticator.User, error)) (authenticator.User, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.User, error) { return tx.UpdateUser(ctx, externalID, fn) })
}

// ListUsers returns a page of users; see authenticator.Tx.
func (f Facade) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	return f.read().ListUsers(ctx, q)
}

// CountUsersByStatus counts the users in each status; see authenticator.Tx.
func (f Facade) CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error) {
	return f.read().CountUsersByStatus(ctx)
}

// EraseUser deletes the user and what refers to them in a transaction of its own; see authenticator.Tx.
func (f Facade) EraseUser(ctx context.Context, externalID string) (authenticator.Erased, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.Erased, error) { return tx.EraseUser(ctx, externalID) })
}

// CreateCredential stores a new credential; see authenticator.Tx.
func (f Facade) CreateCredential(ctx context.Context, c authenticator.Credential) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.CreateCredential(ctx, c) })
}

// GetCredential returns the credential with id; see authenticator.Tx.
func (f Facade) GetCredential(ctx context.Context, id []byte) (authenticator.Credential, error) {
	return f.read().GetCredential(ctx, id)
}

// ListCredentials returns the user's credentials, oldest first; see authenticator.Tx.
func (f Facade) ListCredentials(ctx context.Context, externalID string) ([]authenticator.Credential, error) {
	return f.read().ListCredentials(ctx, externalID)
}

// UpdateCredential applies fn to the stored credential in a transaction of its own; see authenticator.Tx.
func (f Facade) UpdateCredential(ctx context.Context, id []byte, fn func(authenticator.Credential) (authenticator.Credential, error)) (authenticator.Credential, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.Credential, error) { return tx.UpdateCredential(ctx, id, fn) })
}

// CreateReference stores a new biometric reference; see authenticator.Tx.
func (f Facade) CreateReference(ctx context.Context, r authenticator.BiometricReference) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.CreateReference(ctx, r) })
}

// ListReferences returns the user's references, oldest first; see authenticator.Tx.
func (f Facade) ListReferences(ctx context.Context, externalID string) ([]authenticator.BiometricReference, error) {
	return f.read().ListReferences(ctx, externalID)
}

// UpdateReference applies fn to the stored reference in a transaction of its own; see authenticator.Tx.
func (f Facade) UpdateReference(ctx context.Context, id string, fn func(authenticator.BiometricReference) (authenticator.BiometricReference, error)) (authenticator.BiometricReference, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.BiometricReference, error) {
		return tx.UpdateReference(ctx, id, fn)
	})
}

// CreateCheck stores a new identity-verification check; see authenticator.Tx.
func (f Facade) CreateCheck(ctx context.Context, c authenticator.IDVCheck) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.CreateCheck(ctx, c) })
}

// GetCheck returns the check provider ran as runID; see authenticator.Tx.
func (f Facade) GetCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return f.read().GetCheck(ctx, provider, runID)
}

// UpdateCheck applies fn to the stored check in a transaction of its own; see authenticator.Tx.
func (f Facade) UpdateCheck(ctx context.Context, provider, runID string, fn func(authenticator.IDVCheck) (authenticator.IDVCheck, error)) (authenticator.IDVCheck, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.IDVCheck, error) {
		return tx.UpdateCheck(ctx, provider, runID, fn)
	})
}

// CreateApproval stores a transaction approval; see authenticator.Tx.
func (f Facade) CreateApproval(ctx context.Context, a authenticator.Approval) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.CreateApproval(ctx, a) })
}

// GetApproval returns the approval with id; see authenticator.Tx.
func (f Facade) GetApproval(ctx context.Context, id string) (authenticator.Approval, error) {
	return f.read().GetApproval(ctx, id)
}

// AppendAudit appends r to the audit chain in a transaction of its own; see authenticator.Tx.
func (f Facade) AppendAudit(ctx context.Context, r authenticator.AuditRecord) (authenticator.AuditRecord, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) (authenticator.AuditRecord, error) { return tx.AppendAudit(ctx, r) })
}

// ListAudit returns the audit records after record after, ascending; see authenticator.Tx.
func (f Facade) ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	return f.read().ListAudit(ctx, after, limit)
}

// AppendEvent stores e and returns it with its ID set; see authenticator.Tx.
func (f Facade) AppendEvent(ctx context.Context, e authenticator.Event) (authenticator.Event, error) {
	return result(ctx, f.write, func(tx authenticator.Tx) (authenticator.Event, error) { return tx.AppendEvent(ctx, e) })
}

// ListEvents returns the user's most recent events, newest first; see authenticator.Tx.
func (f Facade) ListEvents(ctx context.Context, externalID string, limit int) ([]authenticator.Event, error) {
	return f.read().ListEvents(ctx, externalID, limit)
}

// CountEventsByDay counts events per UTC day and type; see authenticator.Tx.
func (f Facade) CountEventsByDay(ctx context.Context, types []authenticator.EventType, since, until time.Time) ([]authenticator.DayCount, error) {
	return f.read().CountEventsByDay(ctx, types, since, until)
}

// EnqueueDeliveries queues an event for endpoints; see authenticator.Tx.
// The stores queue them in one statement.
func (f Facade) EnqueueDeliveries(ctx context.Context, eventID int64, endpoints []string, at time.Time) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.EnqueueDeliveries(ctx, eventID, endpoints, at) })
}

// ClaimDeliveries leases due deliveries in a transaction of its own; see authenticator.Tx.
func (f Facade) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]authenticator.Delivery, error) {
	return result(ctx, f.atomic, func(tx authenticator.Tx) ([]authenticator.Delivery, error) {
		return tx.ClaimDeliveries(ctx, now, lease, limit)
	})
}

// SettleDelivery ends an attempt on a pending delivery; see authenticator.Tx.
func (f Facade) SettleDelivery(ctx context.Context, id int64, status authenticator.DeliveryStatus, next time.Time, lastError string, at time.Time) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.SettleDelivery(ctx, id, status, next, lastError, at) })
}

// ListDeadDeliveries returns the dead letters after ID after; see authenticator.Tx.
func (f Facade) ListDeadDeliveries(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	return f.read().ListDeadDeliveries(ctx, after, limit)
}

// RedeliverDelivery moves a dead letter back to pending; see authenticator.Tx.
func (f Facade) RedeliverDelivery(ctx context.Context, id int64, at time.Time) error {
	return f.write(ctx, func(tx authenticator.Tx) error { return tx.RedeliverDelivery(ctx, id, at) })
}

// CountDeliveries reports the outbox's pending and dead deliveries; see authenticator.Tx.
func (f Facade) CountDeliveries(ctx context.Context) (authenticator.DeliveryStats, error) {
	return f.read().CountDeliveries(ctx)
}
