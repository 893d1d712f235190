package authenticator

import (
	"context"
	"time"
)

// DeliveryStatus is where one webhook delivery of an event stands
// (docs/adr/0009-event-webhooks.md).
type DeliveryStatus string

// Delivery statuses. A delivery is Pending until an attempt succeeds
// (Delivered) or the deliverer gives up (Dead, a dead letter, kept and
// listable until an operator redelivers it).
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryDead      DeliveryStatus = "dead"
)

// Delivery is one event queued for one webhook endpoint: the outbox row
// written in the transaction that appended the event.
type Delivery struct {
	ID            int64 // assigned by the store, increasing
	EventID       int64
	Endpoint      string // the endpoint's URL, as configured
	Attempts      int    // attempts claimed so far, this one included
	NextAttemptAt time.Time
	Status        DeliveryStatus
	LastError     string // why the last attempt failed; empty until one did
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Event         Event // the event itself, read with the delivery
}

// DeliveryTx is the outbox part of Tx.
type DeliveryTx interface {
	// EnqueueDeliveries queues event eventID for each endpoint, due at at.
	// ErrNotFound if the event does not exist.
	EnqueueDeliveries(ctx context.Context, eventID int64, endpoints []string, at time.Time) error
	// ClaimDeliveries takes up to limit (1..MaxPageSize) pending deliveries
	// due at now, oldest due first, adds one to their Attempts and leases
	// them: their NextAttemptAt becomes now+lease, so if the claimer dies
	// before settling them they are due again once the lease ends. Claimers
	// sharing the store (replicas) never take the same row at once.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// SettleDelivery ends an attempt on a pending delivery: Delivered,
	// Pending again at next (a failure to retry) or Dead, recording
	// lastError and at as UpdatedAt. ErrNotFound unless the delivery exists
	// and is pending; ErrInvalidArgument for another status.
	SettleDelivery(ctx context.Context, id int64, status DeliveryStatus, next time.Time, lastError string, at time.Time) error
	// ListDeadDeliveries returns the dead letters whose ID is greater than
	// after, ascending, at most limit (1..MaxPageSize; 0 means
	// DefaultPageSize), each with its Event.
	ListDeadDeliveries(ctx context.Context, after int64, limit int) ([]Delivery, error)
	// RedeliverDelivery moves a dead letter back to pending, due at at, with
	// its attempts reset. ErrNotFound unless the delivery exists and is dead.
	RedeliverDelivery(ctx context.Context, id int64, at time.Time) error
}

// ValidateSettle checks SettleDelivery's status argument.
func ValidateSettle(status DeliveryStatus) error {
	switch status {
	case DeliveryPending, DeliveryDelivered, DeliveryDead:
		return nil
	}
	return Errorf(CodeInvalidArgument, "delivery status %q is not pending, delivered or dead", status)
}

// ValidateClaim checks ClaimDeliveries' lease and limit.
func ValidateClaim(lease time.Duration, limit int) error {
	if lease <= 0 {
		return Errorf(CodeInvalidArgument, "delivery lease %v is not positive", lease)
	}
	if limit < 1 || limit > MaxPageSize {
		return Errorf(CodeInvalidArgument, "claim limit %d is outside 1..%d", limit, MaxPageSize)
	}
	return nil
}

// ErrDeliveryState is what SettleDelivery and RedeliverDelivery return for
// a delivery that is absent or not in the state they need; it wraps
// ErrNotFound.
func ErrDeliveryState(id int64, want DeliveryStatus) error {
	return Errorf(CodeNotFound, "no %s delivery %d", want, id)
}

// DeadLetters returns the dead-lettered webhook deliveries after ID after,
// ascending, at most limit, each with its event (ADR 0009).
func (s *Service) DeadLetters(ctx context.Context, after int64, limit int) ([]Delivery, error) {
	return s.store.ListDeadDeliveries(ctx, after, limit)
}

// Redeliver moves dead letter id back to pending, due now, with its
// attempts reset. ErrNotFound unless it is a dead letter.
func (s *Service) Redeliver(ctx context.Context, id int64) error {
	return s.store.RedeliverDelivery(ctx, id, s.now().UTC())
}
