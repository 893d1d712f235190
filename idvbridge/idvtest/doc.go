// Package idvtest is the conformance suite every idvbridge.Provider passes.
//
// An adapter's test calls Run with a function that builds a fresh Harness:
// the Provider under test, wired to a backend the test controls (a local
// fake of the vendor's API, or the provider's own sandbox), plus two hooks
// that drive that backend the way a user and the vendor would:
//
//	func TestConformance(t *testing.T) {
//		idvtest.Run(t, func(t *testing.T) idvtest.Harness {
//			backend := fake.New(...)
//			p := adapter.New(... backend ...)
//			return idvtest.Harness{
//				Provider: p,
//				Complete: func(t *testing.T, runID string, r idvtest.Result) { ... },
//				Webhook:  func(t *testing.T, runID string) (http.Header, []byte) { ... },
//			}
//		})
//	}
//
// Results are vendor-neutral (pass, declined, review, abandoned, error,
// expired); each maps to exactly one Status and Reason (Result.Want), and
// the suite checks that Fetch and ParseWebhook report the same Outcome for
// it. Every subtest builds its own harness and most run in parallel, so
// newHarness must return an independent harness each time and register its
// cleanup with t.Cleanup.
//
// What the suite pins down, beyond the types in idvbridge:
//
//   - Invalid start requests fail with ErrInvalid before any I/O: the suite
//     passes an already cancelled context, so a provider that talks to its
//     backend first reports a context error instead and fails.
//   - A reference belongs to one provider: a Reference whose Provider is not
//     the provider's Name is ErrInvalid.
//   - A passed enrollment establishes a Reference; any other enrollment
//     outcome establishes none. A step-up or recovery outcome that names a
//     reference names the one the check was started with, and a passed one
//     always names it.
//   - Webhooks are verified over the raw bytes: a changed byte, a byte that
//     keeps the JSON equivalent, a signature from another notification and a
//     request without headers are all ErrBadSignature with a zero Outcome.
//   - A deleted reference never passes again, and a reference never passes a
//     step-up for another user.
package idvtest
