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
// Incr is one EVAL of a short Lua script: INCR, then PEXPIRE with the window
// if the key has no expiry, which is exactly when INCR has just created it.
// Redis runs a script atomically, so concurrent increments are counted once
// each, the window starts at the first one, later ones never extend it, and
// no client ever sees a counter without its expiry. A MULTI of
// SET key 0 PX window NX and INCR is atomic as well, but there the expiry
// hangs on SET NX and INCR agreeing whether the key exists; the script
// instead checks the one thing that matters, that the counter has an expiry,
// so none can be left to lock a user out for good. It also turns INCR's
// refusal of a value into a null reply, so no error text is parsed in Go. A
// value INCR refuses (not a decimal integer, or at the int64 maximum) is
// authenticator.ErrInvalidArgument, as in the memory store.
//
// Keys are stored under the store's prefix (say "bp:"), so that several
// stores, or several deployments, can share one server. The limits of
// authenticator.ValidatePut and ValidateIncr apply to the key without the
// prefix.
//
// Errors: an absent or expired key is authenticator.ErrNotFound; bad input
// is authenticator.ErrInvalidArgument and sends nothing to Redis; every other
// failure (network, server, timeout, a cancelled context) is
// authenticator.ErrUnavailable, wrapping the go-redis or context error so
// errors.Is and errors.As reach it. Error texts never contain keys, which
// may be secrets. Context deadlines bound a call only when the client was
// built with ContextTimeoutEnabled; otherwise its Read/WriteTimeout do.
package redis
