// Package storetest is the conformance suite for authenticator.Store.
//
// Every Store implementation (authenticator/sqlite today, PostgreSQL later)
// runs [Run] from its own tests, so that the rest of the authenticator can rely
// on one behaviour whatever the backend. The suite owns the contract's fine
// print, which the interface comments in authenticator/types.go leave open:
//
//   - Times are stored in UTC, truncated to microseconds (the precision of a
//     PostgreSQL timestamptz); a zero time round-trips as the zero time.
//   - Nil and empty slices and maps are equivalent: a store may return either.
//   - Keys are required: an empty User.ExternalID or User.Handle, an empty
//     Credential.ID or Credential.UserExternalID, an empty
//     BiometricReference.ID or BiometricReference.UserExternalID, or an empty
//     IDVCheck.Provider, IDVCheck.RunID or IDVCheck.UserExternalID is
//     ErrInvalidArgument. User.Username is optional; an empty username is
//     "none", never conflicts and is never found by GetUserByUsername.
//   - A check's key is the pair (Provider, RunID): the same run id at two
//     providers is two checks. IDVCheck.ReferenceID is opaque to the store
//     and need not name a stored reference; BiometricReference.SealedRef is
//     opaque bytes, kept byte for byte.
//   - ListUsers orders by ExternalID byte-wise (Go string order, a "C"
//     collation in SQL), so that After cursors behave the same everywhere.
//   - ListUsers and ListEvents take a limit of 1..MaxPageSize; 0 means
//     DefaultPageSize and anything else is ErrInvalidArgument. Listing the
//     credentials, references or events of an unknown user returns nothing,
//     not an error.
//   - CountUsersByStatus counts whatever status text a user holds, known
//     to this version or not, and leaves out a status no user is in; inside
//     Atomic it counts the transaction's own writes.
//   - ListCredentials and ListReferences order by CreatedAt, oldest first;
//     ListEvents by ID, newest first, and event IDs only ever increase.
//   - Deliveries: ClaimDeliveries takes only pending rows due at now, adds
//     one to Attempts and leases them until now+lease, so a claimed row is
//     not claimed again (by anyone, concurrently or not) before the lease
//     ends, and is after it; SettleDelivery acts only on a pending row
//     (else ErrNotFound); RedeliverDelivery only on a dead one (ErrNotFound
//     for an absent row, ErrConflict for one in another state); deliveries
//     enqueued in a rolled-back Atomic are gone with their event.
//   - Updater closures see the current value; an error from a closure is
//     returned as it is and nothing changes; an attempt to change a key or
//     another field the interface calls immutable (a reference's Provider; a
//     check's UserExternalID, Journey and CeremonyID) is ErrInvalidArgument
//     and nothing changes; a closure that mutates its argument in place
//     cannot corrupt the store.
//   - A store keeps no reference to what it is given and hands out none to
//     what it keeps: changing an input after a call, or a returned value,
//     never changes what is stored.
//   - Atomic lands all of fn's writes or none and returns fn's error as it
//     is. Concurrent updaters never lose a write: a closure is called only
//     with the value the update will replace, so of concurrent updaters that
//     complete a pending check exactly one closure sees it pending. Of
//     concurrent creates of one key exactly one succeeds; the rest get
//     ErrConflict.
//   - Close may be called more than once.
//
// The suite uses nothing backend-specific: it talks to the store only through
// the authenticator.Store interface.
package storetest
