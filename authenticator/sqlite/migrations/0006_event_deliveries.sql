-- 0006: the webhook outbox (docs/adr/0009-event-webhooks.md). One row per
-- event and configured endpoint, inserted in the transaction that appends
-- the event, so an event that happened is always queued. Claiming adds one
-- to attempts and leases the row by moving next_attempt_at past the lease;
-- a claimer that dies leaves it due again once the lease ends. Times are
-- Unix microseconds, as in 0001.
CREATE TABLE event_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    endpoint        TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (event_id, endpoint)
) STRICT;

-- ClaimDeliveries: the pending rows that are due, soonest first.
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- ListDeadDeliveries: the dead letters in id order.
CREATE INDEX event_deliveries_dead ON event_deliveries (id) WHERE status = 'dead';
