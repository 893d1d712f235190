// Package redis is an authenticator.EphemeralStore on Redis, the production
// challenge store (DESIGN.md §2, §6). It takes a go-redis UniversalClient, so
// a single server, Sentinel and Cluster all work; every operation touches one
// key, so in a Cluster any key may live in any slot.
//
// Each operation is one command: Put is SET with an expiry (go-redis sends PX,
// or EX for a whole number of seconds), Get is GET, Take is GETDEL, which
// reads and deletes atomically on the server so a challenge is consumed once
// (DESIGN.md §7.1), and Delete is DEL. GETDEL needs Redis 6.2 or later.
// Expiry is Redis's own, to the millisecond.
//
// Keys are stored under the store's prefix (say "bp:"), so that several
// stores, or several deployments, can share one server. The limits of
// authenticator.ValidatePut apply to the key without the prefix.
//
// Errors: an absent or expired key is authenticator.ErrNotFound; bad input
// is authenticator.ErrInvalidArgument and sends nothing to Redis; every other
// failure (network, server, timeout, a cancelled context) is
// authenticator.ErrUnavailable, wrapping the go-redis or context error so
// errors.Is and errors.As reach it. Error texts never contain keys, which
// may be secrets. Context deadlines bound a call only when the client was
// built with ContextTimeoutEnabled; otherwise its Read/WriteTimeout do.
package redis
