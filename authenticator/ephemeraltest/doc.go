// Package ephemeraltest is the conformance suite of authenticator.EphemeralStore.
// Every implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		ephemeraltest.Run(t, func(t *testing.T) authenticator.EphemeralStore {
//			return memory.New()
//		})
//	}
//
// The suite checks what callers rely on: values round-trip byte for byte,
// Put replaces value and time to live, entries expire (and not before their
// time), Take is single-use even under 32 concurrent callers (DESIGN.md
// §7.1), absent and expired keys are authenticator.ErrNotFound, and input
// outside the limits in authenticator/ephemeral.go is
// authenticator.ErrInvalidArgument and changes nothing. For Incr it checks
// that a counter counts from 1 and, under 32 concurrent callers, loses no
// increment and hands out no count twice; that it expires with the first
// increment's window, which later increments do not extend, and then counts
// from 1 again; and that a Put value is counted on only when it is a
// canonical decimal int64, any other being ErrInvalidArgument and kept.
//
// Subtests run in parallel and each uses its own random keys, so newStore may
// return one store shared by all of them, or a server shared with other
// tests. Keys the suite leaves behind are deleted when their subtest ends.
package ephemeraltest
