// Package memory is an authenticator.EphemeralStore in process memory, the
// challenge store of the single-instance embedded default (DESIGN.md §2).
// Several plugin instances cannot share it: use the Redis store for those.
//
// Expiry is exact to the store's clock: an entry put with ttl d at time t is
// visible before t+d and gone from t+d on. Reads check expiry themselves
// (lazy expiry), and every Put and Incr first evicts whatever has expired,
// soonest first, from a heap ordered by expiry, so each entry is evicted once
// and the sweep costs O(log n) per entry, amortised over the writes; there is
// no background goroutine and nothing to close.
//
// Incr keeps a counter as its decimal text in an ordinary entry, so it shares
// the key space, the expiry rules and the bound with Put: the entry Incr
// creates expires window after that first increment, and increments do not
// move it.
//
// Memory is bounded: at most WithMaxEntries live entries (DefaultMaxEntries
// unless set), each within the limits of authenticator.ValidatePut. When
// every slot holds a live entry, Put or Incr of a new key fails with
// authenticator.ErrUnavailable instead of growing; replacing an existing key
// always works.
package memory
