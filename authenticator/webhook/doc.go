// Package webhook delivers lifecycle events to relying-party endpoints as
// signed HTTP POSTs (docs/adr/0009-event-webhooks.md, docs/events.md).
//
// The authenticator queues one delivery per event and endpoint in the
// transaction that appends the event (the outbox, authenticator.DeliveryTx),
// so an event that happened is stored before any attempt to deliver it. A
// [Deliverer] runs in the plugin process: it claims due deliveries with a
// lease (PostgreSQL replicas share the work through FOR UPDATE SKIP LOCKED;
// SQLite has one writer), POSTs each event, and settles it:
//
//	2xx                       → delivered
//	anything else, a timeout  → pending again after an exponential backoff
//	                            with full jitter
//	MaxAttempts or MaxAge hit → dead (a dead letter: kept, listed by
//	                            `biometric-passkey-plugin events dead-letters`,
//	                            moved back by `events redeliver <id> --operator SUB`)
//
// Delivery is at least once: a deliverer that dies after the receiver
// answered but before settling leaves the row to be sent again when its
// lease ends, so receivers deduplicate on X-BP-Event-Id.
//
// Each request carries X-BP-Event-Id, X-BP-Timestamp (Unix seconds) and
// X-BP-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>;
// [Verify] is what a Go receiver runs, and the ADR says how to do it in
// any language.
package webhook
