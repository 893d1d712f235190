-- 0006: the webhook outbox (docs/adr/0009-event-webhooks.md); the twin of
-- authenticator/sqlite/migrations/0006_event_deliveries.sql. One row per
-- event and configured endpoint, inserted in the transaction that appends
-- the event. Replicas claim due rows with SELECT … FOR UPDATE SKIP LOCKED,
-- so they share the work without taking the same row; claiming adds one to
-- attempts and leases the row by moving next_attempt_at past the lease.
CREATE TABLE event_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint NOT NULL REFERENCES events (id),
    endpoint        text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (event_id, endpoint)
);

-- ClaimDeliveries: the pending rows that are due, soonest first.
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, id) WHERE status = 'pending';
-- ListDeadDeliveries: the dead letters in id order.
CREATE INDEX event_deliveries_dead ON event_deliveries (id) WHERE status = 'dead';
