package idvtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Result is how a run ends at the provider, in vendor-neutral terms. The
// harness's Complete makes the provider's backend end a run this way.
type Result string

// Results.
const (
	ResultPass      Result = "pass"      // the capture matched (or, for enrollment, was accepted)
	ResultDeclined  Result = "declined"  // the provider decided the person does not match
	ResultReview    Result = "review"    // the provider asks for a human review
	ResultAbandoned Result = "abandoned" // the user left the capture
	ResultError     Result = "error"     // the provider failed to process the run
	ResultExpired   Result = "expired"   // the run ran out of time before the user finished
)

// Results returns every Result, in a stable order.
func Results() []Result {
	return []Result{ResultPass, ResultDeclined, ResultReview, ResultAbandoned, ResultError, ResultExpired}
}

// Want returns the Status and Reason a provider must report for r.
func (r Result) Want() (idvbridge.Status, idvbridge.Reason) {
	switch r {
	case ResultPass:
		return idvbridge.StatusPassed, idvbridge.ReasonNone
	case ResultDeclined:
		return idvbridge.StatusFailed, idvbridge.ReasonDeclined
	case ResultReview:
		return idvbridge.StatusFailed, idvbridge.ReasonReview
	case ResultAbandoned:
		return idvbridge.StatusFailed, idvbridge.ReasonAbandoned
	case ResultError:
		return idvbridge.StatusFailed, idvbridge.ReasonError
	case ResultExpired:
		return idvbridge.StatusFailed, idvbridge.ReasonExpired
	}
	panic(fmt.Sprintf("idvtest: unknown result %q", string(r)))
}

// Harness is one Provider under test and the hooks that drive its backend.
type Harness struct {
	// Provider is the adapter under test.
	Provider idvbridge.Provider
	// Complete makes the provider's backend finish the run as the user's
	// capture (or its absence) would, ending in result. It fails t if it
	// cannot.
	Complete func(t *testing.T, runID string, result Result)
	// Webhook returns the signed notification the provider would deliver
	// for the run now: the header and the raw body, exactly as received.
	Webhook func(t *testing.T, runID string) (http.Header, []byte)
}

// Run runs the conformance suite. newHarness must return a fresh,
// independent harness each time it is called; subtests call it in
// parallel.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Start", startTests},
		{"Invalid", invalidTests},
		{"Outcomes", outcomeTests()},
		{"Webhook", webhookTests},
		{"References", referenceTests},
		{"NotFound", notFoundTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					h := newHarness(t)
					if h.Provider == nil || h.Complete == nil || h.Webhook == nil {
						t.Fatal("idvtest: newHarness returned a harness without Provider, Complete or Webhook")
					}
					tt.run(t, h)
				})
			}
		})
	}
}

// test is one subtest; it gets a harness of its own.
type test struct {
	name string
	run  func(t *testing.T, h Harness)
}

var startTests = []test{
	{"Name", func(t *testing.T, h Harness) {
		name := h.Provider.Name()
		if name == "" || strings.TrimSpace(name) != name {
			t.Errorf("Name() = %q, want a non-empty name without surrounding space", name)
		}
		if again := h.Provider.Name(); again != name {
			t.Errorf("Name() = %q, then %q, want a stable name", name, again)
		}
	}},
	{"EnrollmentReturnsACheck", func(t *testing.T, h Harness) {
		req := enrollment()
		c, err := h.Provider.Start(t.Context(), req)
		if err != nil {
			t.Fatalf("Start(enrollment) error = %v, want nil", err)
		}
		checkCheck(t, h, req, c)
	}},
	{"FreshRunIsPending", func(t *testing.T, h Harness) {
		req := enrollment()
		c := start(t, h, req)
		got, err := h.Provider.Fetch(t.Context(), c.RunID)
		if err != nil {
			t.Fatalf("Fetch(fresh run) error = %v, want nil", err)
		}
		checkOutcome(t, h, req, c, got)
		if got.Status != idvbridge.StatusPending || got.Reason != idvbridge.ReasonNone {
			t.Errorf("Fetch(fresh run) status, reason = %q, %q, want %q, %q", got.Status, got.Reason, idvbridge.StatusPending, idvbridge.ReasonNone)
		}
		if !got.CompletedAt.IsZero() {
			t.Errorf("Fetch(fresh run) CompletedAt = %v, want zero while pending", got.CompletedAt)
		}
		if got.Reference != nil {
			t.Errorf("Fetch(fresh run) Reference = %+v, want nil while pending", *got.Reference)
		}
	}},
	{"StepUpReturnsACheck", func(t *testing.T, h Harness) {
		user, ref := enroll(t, h)
		req := stepUp(idvbridge.JourneyStepUp, user, ref)
		c, err := h.Provider.Start(t.Context(), req)
		if err != nil {
			t.Fatalf("Start(step-up) error = %v, want nil", err)
		}
		checkCheck(t, h, req, c)
	}},
	{"ConcurrentStartsGetDistinctRuns", func(t *testing.T, h Harness) {
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, err := h.Provider.Start(t.Context(), enrollment())
				ids[i], errs[i] = c.RunID, err
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Start #%d error = %v, want nil", i, errs[i])
			}
			if seen[ids[i]] {
				t.Errorf("Start #%d run id = %q, want one no other start returned", i, ids[i])
			}
			seen[ids[i]] = true
		}
	}},
}

var invalidTests = func() []test {
	long := func(n int) string { return strings.Repeat("a", n) }
	foreign := &idvbridge.Reference{Provider: "idvtest-other-provider", ID: "ref-1"}
	cases := []struct {
		name string
		edit func(r *idvbridge.StartRequest, name string)
	}{
		{"UnknownJourney", func(r *idvbridge.StartRequest, _ string) { r.Journey = "payment" }},
		{"EmptyJourney", func(r *idvbridge.StartRequest, _ string) { r.Journey = "" }},
		{"EmptyUserID", func(r *idvbridge.StartRequest, _ string) { r.UserID = "" }},
		{"UserIDTooLong", func(r *idvbridge.StartRequest, _ string) { r.UserID = long(257) }},
		{"EmptyCeremonyID", func(r *idvbridge.StartRequest, _ string) { r.CeremonyID = "" }},
		{"CeremonyIDTooLong", func(r *idvbridge.StartRequest, _ string) { r.CeremonyID = long(129) }},
		{"EnrollmentWithReference", func(r *idvbridge.StartRequest, name string) {
			r.Reference = &idvbridge.Reference{Provider: name, ID: "ref-1"}
		}},
		{"StepUpWithoutReference", func(r *idvbridge.StartRequest, _ string) { r.Journey = idvbridge.JourneyStepUp }},
		{"RecoveryWithoutReference", func(r *idvbridge.StartRequest, _ string) { r.Journey = idvbridge.JourneyRecovery }},
		{"StepUpWithEmptyReferenceID", func(r *idvbridge.StartRequest, name string) {
			r.Journey = idvbridge.JourneyStepUp
			r.Reference = &idvbridge.Reference{Provider: name}
		}},
		{"StepUpWithAnotherProvidersReference", func(r *idvbridge.StartRequest, _ string) {
			r.Journey = idvbridge.JourneyStepUp
			r.Reference = foreign
		}},
		{"RecoveryWithAnotherProvidersReference", func(r *idvbridge.StartRequest, _ string) {
			r.Journey = idvbridge.JourneyRecovery
			r.Reference = foreign
		}},
	}
	var tests []test
	for _, tc := range cases {
		tests = append(tests, test{tc.name, func(t *testing.T, h Harness) {
			req := enrollment()
			tc.edit(&req, h.Provider.Name())
			// A cancelled context: the request must be refused before any I/O.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			c, err := h.Provider.Start(ctx, req)
			if !errors.Is(err, idvbridge.ErrInvalid) {
				t.Fatalf("Start(%s) error = %v, want ErrInvalid before any request", tc.name, err)
			}
			if c != (idvbridge.Check{}) {
				t.Errorf("Start(%s) check = %+v, want the zero Check with an error", tc.name, c)
			}
		}})
	}
	tests = append(tests, test{"DeleteAnotherProvidersReference", func(t *testing.T, h Harness) {
		err := h.Provider.DeleteReference(t.Context(), *foreign)
		if !errors.Is(err, idvbridge.ErrInvalid) {
			t.Errorf("DeleteReference(another provider's reference) error = %v, want ErrInvalid", err)
		}
	}})
	return tests
}()

// outcomeTests checks every Result for every journey, by Fetch and by
// webhook.
func outcomeTests() []test {
	var tests []test
	for _, j := range []idvbridge.Journey{idvbridge.JourneyEnrollment, idvbridge.JourneyStepUp, idvbridge.JourneyRecovery} {
		for _, r := range Results() {
			tests = append(tests, test{string(j) + "/" + string(r), func(t *testing.T, h Harness) {
				req := enrollment()
				if j != idvbridge.JourneyEnrollment {
					user, ref := enroll(t, h)
					req = stepUp(j, user, ref)
				}
				c := start(t, h, req)
				h.Complete(t, c.RunID, r)

				fetched, err := h.Provider.Fetch(t.Context(), c.RunID)
				if err != nil {
					t.Fatalf("Fetch after %s error = %v, want nil", r, err)
				}
				checkOutcome(t, h, req, c, fetched)
				checkResult(t, h, req, r, fetched)

				header, body := h.Webhook(t, c.RunID)
				hooked, err := h.Provider.ParseWebhook(t.Context(), header, body)
				if err != nil {
					t.Fatalf("ParseWebhook after %s error = %v, want nil", r, err)
				}
				if diff := cmp.Diff(fetched, hooked); diff != "" {
					t.Errorf("ParseWebhook and Fetch disagree after %s (-fetched +webhook):\n%s", r, diff)
				}
			}})
		}
	}
	return tests
}

var webhookTests = []test{
	{"DuplicateReturnsTheSameOutcome", func(t *testing.T, h Harness) {
		c := start(t, h, enrollment())
		h.Complete(t, c.RunID, ResultDeclined)
		header, body := h.Webhook(t, c.RunID)
		first, err := h.Provider.ParseWebhook(t.Context(), header.Clone(), bytes.Clone(body))
		if err != nil {
			t.Fatalf("ParseWebhook error = %v, want nil", err)
		}
		for i := range 3 {
			again, err := h.Provider.ParseWebhook(t.Context(), header.Clone(), bytes.Clone(body))
			if err != nil {
				t.Fatalf("ParseWebhook (duplicate %d) error = %v, want nil", i+1, err)
			}
			if diff := cmp.Diff(first, again); diff != "" {
				t.Errorf("duplicate %d changed the outcome (-first +duplicate):\n%s", i+1, diff)
			}
		}
	}},
	{"PassedEnrollmentDuplicateNamesTheSameReference", func(t *testing.T, h Harness) {
		c := start(t, h, enrollment())
		h.Complete(t, c.RunID, ResultPass)
		header, body := h.Webhook(t, c.RunID)
		first, err := h.Provider.ParseWebhook(t.Context(), header.Clone(), bytes.Clone(body))
		if err != nil {
			t.Fatalf("ParseWebhook error = %v, want nil", err)
		}
		again, err := h.Provider.ParseWebhook(t.Context(), header.Clone(), bytes.Clone(body))
		if err != nil {
			t.Fatalf("ParseWebhook (duplicate) error = %v, want nil", err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("duplicate changed the outcome (-first +duplicate):\n%s", diff)
		}
	}},
	{"TamperedBody", func(t *testing.T, h Harness) {
		header, body := completedWebhook(t, h)
		for name, tampered := range map[string][]byte{
			"FlippedByte":   flip(body, len(body)/2),
			"FirstByte":     flip(body, 0),
			"LastByte":      flip(body, len(body)-1),
			"Truncated":     body[:len(body)-1],
			"AppendedSpace": append(bytes.Clone(body), ' '), // the same JSON, other bytes
			"PrependedLF":   append([]byte("\n"), body...),
			"Empty":         {},
		} {
			expectBadSignature(t, h, name, header.Clone(), tampered)
		}
	}},
	{"WrongSignature", func(t *testing.T, h Harness) {
		_, body := completedWebhook(t, h)
		otherHeader, _ := completedWebhook(t, h)
		expectBadSignature(t, h, "another notification's signature", otherHeader, body)
	}},
	{"MissingSignature", func(t *testing.T, h Harness) {
		_, body := completedWebhook(t, h)
		expectBadSignature(t, h, "no header", http.Header{}, body)
		expectBadSignature(t, h, "nil header", nil, body)
	}},
}

var referenceTests = []test{
	{"PassedEnrollmentYieldsAReference", func(t *testing.T, h Harness) {
		_, ref := enroll(t, h)
		if ref.Provider != h.Provider.Name() || ref.ID == "" {
			t.Errorf("reference = %+v, want provider %q and a non-empty id", ref, h.Provider.Name())
		}
	}},
	{"EnrollmentsGetDistinctReferences", func(t *testing.T, h Harness) {
		_, a := enroll(t, h)
		_, b := enroll(t, h)
		if a == b {
			t.Errorf("two users' enrollments both gave reference %+v, want distinct references", a)
		}
	}},
	{"StepUpNamesItsReference", func(t *testing.T, h Harness) {
		user, ref := enroll(t, h)
		req := stepUp(idvbridge.JourneyStepUp, user, ref)
		c := start(t, h, req)
		h.Complete(t, c.RunID, ResultPass)
		got := fetch(t, h, c.RunID)
		if got.Status != idvbridge.StatusPassed {
			t.Fatalf("step-up status = %q, want %q", got.Status, idvbridge.StatusPassed)
		}
		if got.Reference == nil || *got.Reference != ref {
			t.Errorf("step-up reference = %v, want %+v", got.Reference, ref)
		}
	}},
	{"DeleteIsIdempotent", func(t *testing.T, h Harness) {
		_, ref := enroll(t, h)
		for i := range 2 {
			if err := h.Provider.DeleteReference(t.Context(), ref); err != nil {
				t.Fatalf("DeleteReference #%d error = %v, want nil", i+1, err)
			}
		}
	}},
	{"DeletedReferenceDoesNotPass", func(t *testing.T, h Harness) {
		user, ref := enroll(t, h)
		if err := h.Provider.DeleteReference(t.Context(), ref); err != nil {
			t.Fatalf("DeleteReference error = %v, want nil", err)
		}
		for _, j := range []idvbridge.Journey{idvbridge.JourneyStepUp, idvbridge.JourneyRecovery} {
			expectNoPass(t, h, stepUp(j, user, ref), "a deleted reference")
		}
	}},
	{"DeleteLeavesOtherReferences", func(t *testing.T, h Harness) {
		_, gone := enroll(t, h)
		user, kept := enroll(t, h)
		if err := h.Provider.DeleteReference(t.Context(), gone); err != nil {
			t.Fatalf("DeleteReference error = %v, want nil", err)
		}
		c := start(t, h, stepUp(idvbridge.JourneyStepUp, user, kept))
		h.Complete(t, c.RunID, ResultPass)
		if got := fetch(t, h, c.RunID); got.Status != idvbridge.StatusPassed {
			t.Errorf("step-up against a reference that was not deleted: status = %q, want %q", got.Status, idvbridge.StatusPassed)
		}
	}},
	{"AnotherUsersReferenceDoesNotPass", func(t *testing.T, h Harness) {
		_, ref := enroll(t, h)
		intruder, _ := enroll(t, h)
		expectNoPass(t, h, stepUp(idvbridge.JourneyStepUp, intruder, ref), "another user's reference")
	}},
}

var notFoundTests = []test{
	{"FetchUnknownRun", func(t *testing.T, h Harness) {
		got, err := h.Provider.Fetch(t.Context(), uuid4())
		if !errors.Is(err, idvbridge.ErrNotFound) {
			t.Errorf("Fetch(unknown run) error = %v, want ErrNotFound", err)
		}
		if got != (idvbridge.Outcome{}) {
			t.Errorf("Fetch(unknown run) outcome = %+v, want the zero Outcome with an error", got)
		}
	}},
}

// enrollment returns a valid enrollment request for a new user.
func enrollment() idvbridge.StartRequest {
	return idvbridge.StartRequest{
		Journey:    idvbridge.JourneyEnrollment,
		UserID:     "idvtest-user-" + token(8),
		CeremonyID: "idvtest-ceremony-" + token(12),
		ReturnURL:  "https://rp.idvtest.example/idv/return",
		Locale:     "en-GB",
	}
}

// stepUp returns a valid step-up or recovery request for user against ref.
func stepUp(j idvbridge.Journey, user string, ref idvbridge.Reference) idvbridge.StartRequest {
	return idvbridge.StartRequest{
		Journey:    j,
		UserID:     user,
		Reference:  &ref,
		CeremonyID: "idvtest-ceremony-" + token(12),
		ReturnURL:  "https://rp.idvtest.example/idv/return",
		Locale:     "de",
	}
}

// start starts req and fails t on an error.
func start(t *testing.T, h Harness, req idvbridge.StartRequest) idvbridge.Check {
	t.Helper()
	c, err := h.Provider.Start(t.Context(), req)
	if err != nil {
		t.Fatalf("Start(%s) error = %v, want nil", req.Journey, err)
	}
	if c.RunID == "" {
		t.Fatalf("Start(%s) run id is empty", req.Journey)
	}
	return c
}

// fetch fetches a run and fails t on an error.
func fetch(t *testing.T, h Harness, runID string) idvbridge.Outcome {
	t.Helper()
	o, err := h.Provider.Fetch(t.Context(), runID)
	if err != nil {
		t.Fatalf("Fetch(%s) error = %v, want nil", runID, err)
	}
	return o
}

// enroll enrolls a new user and returns the user id and the reference.
func enroll(t *testing.T, h Harness) (string, idvbridge.Reference) {
	t.Helper()
	req := enrollment()
	c := start(t, h, req)
	h.Complete(t, c.RunID, ResultPass)
	o := fetch(t, h, c.RunID)
	if o.Status != idvbridge.StatusPassed || o.Reference == nil {
		t.Fatalf("enrollment outcome = %+v, want passed with a reference", o)
	}
	return req.UserID, *o.Reference
}

// completedWebhook returns a notification for a run the backend finished.
func completedWebhook(t *testing.T, h Harness) (http.Header, []byte) {
	t.Helper()
	c := start(t, h, enrollment())
	h.Complete(t, c.RunID, ResultReview)
	header, body := h.Webhook(t, c.RunID)
	if len(body) == 0 {
		t.Fatal("Webhook returned an empty body")
	}
	// The untouched notification verifies, so a failure below is the
	// tampering's doing.
	if _, err := h.Provider.ParseWebhook(t.Context(), header.Clone(), bytes.Clone(body)); err != nil {
		t.Fatalf("ParseWebhook(untouched) error = %v, want nil", err)
	}
	return header, body
}

func expectBadSignature(t *testing.T, h Harness, what string, header http.Header, body []byte) {
	t.Helper()
	got, err := h.Provider.ParseWebhook(t.Context(), header, body)
	if !errors.Is(err, idvbridge.ErrBadSignature) {
		t.Errorf("ParseWebhook(%s) error = %v, want ErrBadSignature", what, err)
	}
	if got != (idvbridge.Outcome{}) {
		t.Errorf("ParseWebhook(%s) outcome = %+v, want the zero Outcome", what, got)
	}
}

// expectNoPass starts req and, if the provider accepts it, completes the
// run as a matching capture would: it must not pass.
func expectNoPass(t *testing.T, h Harness, req idvbridge.StartRequest, what string) {
	t.Helper()
	c, err := h.Provider.Start(t.Context(), req)
	if err != nil {
		return // refused up front: it cannot pass
	}
	h.Complete(t, c.RunID, ResultPass)
	o, err := h.Provider.Fetch(t.Context(), c.RunID)
	if err == nil && o.Status == idvbridge.StatusPassed {
		t.Errorf("%s against %s: status = %q, want anything but %q", req.Journey, what, o.Status, idvbridge.StatusPassed)
	}
	header, body := h.Webhook(t, c.RunID)
	o, err = h.Provider.ParseWebhook(t.Context(), header, body)
	if err == nil && o.Status == idvbridge.StatusPassed {
		t.Errorf("%s against %s by webhook: status = %q, want anything but %q", req.Journey, what, o.Status, idvbridge.StatusPassed)
	}
}

// checkCheck checks what Start returned against the request.
func checkCheck(t *testing.T, h Harness, req idvbridge.StartRequest, c idvbridge.Check) {
	t.Helper()
	if c.Provider != h.Provider.Name() {
		t.Errorf("check provider = %q, want %q", c.Provider, h.Provider.Name())
	}
	if c.RunID == "" {
		t.Error("check run id is empty")
	}
	if c.Journey != req.Journey || c.UserID != req.UserID || c.CeremonyID != req.CeremonyID {
		t.Errorf("check journey, user, ceremony = %q, %q, %q, want %q, %q, %q",
			c.Journey, c.UserID, c.CeremonyID, req.Journey, req.UserID, req.CeremonyID)
	}
	if c.CaptureURL == "" && c.SDKToken == "" {
		t.Error("check has neither a capture URL nor an SDK token")
	}
	if c.CaptureURL != "" {
		u, err := url.Parse(c.CaptureURL)
		if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			t.Errorf("check capture URL = %q, want an absolute http(s) URL", c.CaptureURL)
		}
	}
}

// checkOutcome checks that an outcome belongs to the run and request.
func checkOutcome(t *testing.T, h Harness, req idvbridge.StartRequest, c idvbridge.Check, o idvbridge.Outcome) {
	t.Helper()
	if o.Provider != h.Provider.Name() {
		t.Errorf("outcome provider = %q, want %q", o.Provider, h.Provider.Name())
	}
	if o.RunID != c.RunID {
		t.Errorf("outcome run id = %q, want %q", o.RunID, c.RunID)
	}
	if o.UserID != req.UserID {
		t.Errorf("outcome user id = %q, want %q", o.UserID, req.UserID)
	}
	if o.CeremonyID != "" && o.CeremonyID != req.CeremonyID {
		t.Errorf("outcome ceremony id = %q, want %q (or empty when the provider does not echo it)", o.CeremonyID, req.CeremonyID)
	}
}

// checkResult checks the status, reason, reference and completion time an
// outcome reports for result.
func checkResult(t *testing.T, h Harness, req idvbridge.StartRequest, result Result, o idvbridge.Outcome) {
	t.Helper()
	status, reason := result.Want()
	if o.Status != status || o.Reason != reason {
		t.Errorf("after %s: status, reason = %q, %q, want %q, %q", result, o.Status, o.Reason, status, reason)
	}
	if o.CompletedAt.IsZero() {
		t.Errorf("after %s: CompletedAt is zero, want when the run ended", result)
	}
	switch {
	case req.Journey == idvbridge.JourneyEnrollment && status == idvbridge.StatusPassed:
		if o.Reference == nil || o.Reference.Provider != h.Provider.Name() || o.Reference.ID == "" {
			t.Errorf("passed enrollment: reference = %v, want one of provider %q with an id", o.Reference, h.Provider.Name())
		}
	case req.Journey == idvbridge.JourneyEnrollment:
		if o.Reference != nil {
			t.Errorf("enrollment after %s: reference = %+v, want none", result, *o.Reference)
		}
	case status == idvbridge.StatusPassed && o.Reference == nil:
		t.Errorf("passed %s: reference is nil, want %+v", req.Journey, *req.Reference)
	case o.Reference != nil && *o.Reference != *req.Reference:
		t.Errorf("%s after %s: reference = %+v, want %+v", req.Journey, result, *o.Reference, *req.Reference)
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x01
	return b
}

// token returns n random bytes in hex.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return fmt.Sprintf("%x", b)
}

// uuid4 returns a random version 4 UUID, the shape most providers use for
// run ids, so an unknown id is refused for being unknown, not malformed.
func uuid4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
