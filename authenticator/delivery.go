package authenticator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
// written in the transaction that appended the event. A dead letter's
// UpdatedAt is when it died (DeadAt).
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
	// its attempts reset and at as UpdatedAt. ErrNotFound if the delivery
	// does not exist; ErrConflict (ErrDeliveryNotDead) if it is not dead.
	RedeliverDelivery(ctx context.Context, id int64, at time.Time) error
	// CountDeliveries reports the outbox's health: how many deliveries are
	// pending and dead, and when the oldest pending one was queued. Each
	// figure is an aggregate over the rows of its status (one query for the
	// pending ones, one for the dead), never a listing.
	CountDeliveries(ctx context.Context) (DeliveryStats, error)
}

// DeliveryStats is the webhook outbox's health, for metrics and alerts
// (DESIGN.md §8): deliveries piling up (Pending, OldestPendingAt) or dying
// (Dead).
type DeliveryStats struct {
	Pending int64 // deliveries not yet delivered nor given up on, leased ones included
	Dead    int64 // dead letters waiting for an operator
	// OldestPendingAt is the CreatedAt of the oldest pending delivery: when
	// its event was queued (a redelivered dead letter keeps its own). It is
	// the zero time when none is pending.
	OldestPendingAt time.Time
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

// ErrDeliveryState is what SettleDelivery returns for a delivery that is
// absent or not pending, and RedeliverDelivery for one that is absent; it
// wraps ErrNotFound.
func ErrDeliveryState(id int64, want DeliveryStatus) error {
	return Errorf(CodeNotFound, "no %s delivery %d", want, id)
}

// ErrDeliveryNotDead is what RedeliverDelivery returns for a delivery that
// exists but is not a dead letter: ErrConflict, with a message safe for
// the operator.
func ErrDeliveryNotDead(id int64, status DeliveryStatus) error {
	return conflict(fmt.Sprintf("delivery %d", id), string(status), "only a dead letter can be redelivered")
}

// DeadAt returns when a dead letter died (its UpdatedAt), and the zero
// time for a delivery that is not dead.
func (d Delivery) DeadAt() time.Time {
	if d.Status != DeliveryDead {
		return time.Time{}
	}
	return d.UpdatedAt
}

// AuditEventRedeliver is the audit action of RedeliverEvent; its target is
// the delivery id in decimal.
const AuditEventRedeliver = "event_delivery.redeliver"

// ListDeadLetters returns the dead-lettered webhook deliveries after ID after,
// ascending, at most limit (1 to MaxPageSize; 0 means DefaultPageSize),
// each with its event (ADR 0009): for a dashboard, the delivery's ID,
// Endpoint, Attempts, LastError, CreatedAt and DeadAt, and the event's ID,
// Type and UserExternalID.
func (s *Service) ListDeadLetters(ctx context.Context, after int64, limit int) ([]Delivery, error) {
	switch {
	case after < 0:
		return nil, UserError(CodeInvalidArgument, "after must be a delivery id, 0 or more", nil)
	case limit < 0 || limit > MaxPageSize:
		return nil, UserError(CodeInvalidArgument, fmt.Sprintf("limit must be between 1 and %d", MaxPageSize), nil)
	}
	out, err := s.store.ListDeadDeliveries(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	return out, nil
}

// DeliveryStats reports the webhook outbox's health: the pending and dead
// deliveries and when the oldest pending one was queued (the zero time when
// none is). It reads no event and names no user, so it is safe to call on
// every metrics scrape.
func (s *Service) DeliveryStats(ctx context.Context) (DeliveryStats, error) {
	st, err := s.store.CountDeliveries(ctx)
	if err != nil {
		return DeliveryStats{}, fmt.Errorf("delivery stats: %w", err)
	}
	return st, nil
}

// RedeliverRequest is an operator's redelivery of a dead letter.
type RedeliverRequest struct {
	Operator   string // the operator's sub, for the audit record (DESIGN.md §7.7)
	DeliveryID int64
	Reason     string // optional, at most 512 bytes; recorded in the audit record
}

// RedeliverEvent moves dead letter req.DeliveryID back to pending, due
// now, with its attempts reset, on an operator's behalf: the running
// deliverer sends it again. The change and its audit record (action
// event_delivery.redeliver, target the delivery id, detail the endpoint,
// the event's id and type, the attempts made and the reason) land in one
// transaction. It returns the delivery as it now is. An unknown delivery is
// CodeNotFound, one that is not dead CodeConflict; neither is audited.
func (s *Service) RedeliverEvent(ctx context.Context, req RedeliverRequest) (Delivery, error) {
	if err := validateOperator(req.Operator); err != nil {
		return Delivery{}, err
	}
	if err := validateReason(req.Reason); err != nil {
		return Delivery{}, err
	}
	if req.DeliveryID <= 0 {
		return Delivery{}, UserError(CodeInvalidArgument, "delivery_id must be a delivery id, 1 or more", nil)
	}
	id := req.DeliveryID
	// The stores keep microseconds: the delivery returned is the one stored.
	now := s.now().UTC().Truncate(time.Microsecond)
	var d Delivery
	err := s.store.Atomic(ctx, func(tx Tx) error {
		// The dead letter with its event, read before it leaves the dead
		// letters; a delivery that is absent or not dead is not among them,
		// and RedeliverDelivery says which.
		dead, err := tx.ListDeadDeliveries(ctx, id-1, 1)
		if err != nil {
			return err
		}
		if err := tx.RedeliverDelivery(ctx, id, now); err != nil {
			if errors.Is(err, ErrNotFound) {
				return UserError(CodeNotFound, fmt.Sprintf("there is no delivery %d", id), err)
			}
			return err
		}
		if len(dead) != 1 || dead[0].ID != id {
			return Errorf(CodeInternal, "delivery %d was redelivered but not listed as a dead letter", id)
		}
		d = dead[0]
		detail := map[string]string{"endpoint": d.Endpoint, "event_id": strconv.FormatInt(d.EventID, 10),
			"event_type": string(d.Event.Type), "attempts": strconv.Itoa(d.Attempts), "reason": req.Reason}
		d.Status, d.Attempts, d.NextAttemptAt, d.UpdatedAt = DeliveryPending, 0, now, now
		return s.audit(ctx, tx, AuditRecord{Actor: req.Operator, Action: AuditEventRedeliver,
			Target: strconv.FormatInt(id, 10), Detail: detail})
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("redeliver: %w", err)
	}
	s.log.InfoContext(ctx, "operator action", "action", AuditEventRedeliver, "delivery", id, "operator", req.Operator)
	return d, nil
}
