package authenticator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// vectorTime is the time of the hash vectors.
var vectorTime = time.Date(2026, time.November, 25, 12, 0, 0, 123_456_000, time.UTC)

// TestAuditHashVectors pins the encoding ADR 0008 documents: the expected
// hashes were computed from the ADR's description by an independent
// implementation (Python's hashlib and struct), not by this code.
func TestAuditHashVectors(t *testing.T) {
	t.Parallel()
	r1 := authenticator.AuditRecord{
		Seq: 1, At: vectorTime, Actor: "op-1@example.com", Action: "credential.revoke", Target: "AQID",
		Detail: map[string]string{"user": "alice", "reason": "lost phone ✓"}, PrevHash: authenticator.AuditGenesis(),
	}
	const want1 = "6737f4ca90e0bfe8acd4c96da4d4f64e683cd8f5361235c42744bcce3f13e817"
	h1 := authenticator.AuditHash(r1)
	if got := hex.EncodeToString(h1); got != want1 {
		t.Errorf("record 1: got hash %s, want %s", got, want1)
	}
	r2 := authenticator.AuditRecord{Seq: 2, At: vectorTime.Add(time.Microsecond), Actor: "system", Action: "user.read",
		Target: "alice", PrevHash: h1}
	const want2 = "93b9861da27fabaeb10a0656a5f45e133808b16e8ff676c64fe458d0292ddf7c"
	if got := hex.EncodeToString(authenticator.AuditHash(r2)); got != want2 {
		t.Errorf("record 2: got hash %s, want %s", got, want2)
	}
}

// TestAuditHashCoversEveryField checks that each hashed field changes the
// hash, and that what a store may change without meaning (the zone, the
// nanoseconds, nil against empty detail, Hash itself) does not.
func TestAuditHashCoversEveryField(t *testing.T) {
	t.Parallel()
	base := authenticator.AuditRecord{
		Seq: 7, At: vectorTime, Actor: "op", Action: "credential.revoke", Target: "AQID",
		Detail: map[string]string{"a": "1", "b": "2"}, PrevHash: bytes.Repeat([]byte{9}, 32),
	}
	want := authenticator.AuditHash(base)
	for name, tc := range map[string]struct {
		mutate func(*authenticator.AuditRecord)
		same   bool
	}{
		"seq":                {mutate: func(r *authenticator.AuditRecord) { r.Seq++ }},
		"time":               {mutate: func(r *authenticator.AuditRecord) { r.At = r.At.Add(time.Microsecond) }},
		"actor":              {mutate: func(r *authenticator.AuditRecord) { r.Actor = "op2" }},
		"action":             {mutate: func(r *authenticator.AuditRecord) { r.Action = "user.read" }},
		"target":             {mutate: func(r *authenticator.AuditRecord) { r.Target = "AQIE" }},
		"detail value":       {mutate: func(r *authenticator.AuditRecord) { r.Detail = map[string]string{"a": "1", "b": "3"} }},
		"detail key":         {mutate: func(r *authenticator.AuditRecord) { r.Detail = map[string]string{"a": "1", "c": "2"} }},
		"detail entry moved": {mutate: func(r *authenticator.AuditRecord) { r.Detail = map[string]string{"a": "12", "b": ""} }},
		"field boundary":     {mutate: func(r *authenticator.AuditRecord) { r.Actor, r.Action = "opcredential", ".revoke" }},
		"prev hash":          {mutate: func(r *authenticator.AuditRecord) { r.PrevHash = bytes.Repeat([]byte{8}, 32) }},
		"zone":               {mutate: func(r *authenticator.AuditRecord) { r.At = r.At.In(time.FixedZone("x", 3600)) }, same: true},
		"nanoseconds":        {mutate: func(r *authenticator.AuditRecord) { r.At = r.At.Add(999) }, same: true},
		"hash":               {mutate: func(r *authenticator.AuditRecord) { r.Hash = []byte("anything") }, same: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := base
			r.Detail = maps.Clone(base.Detail)
			tc.mutate(&r)
			if got := authenticator.AuditHash(r); bytes.Equal(got, want) != tc.same {
				t.Errorf("got hash %x, want it the same as the base's %x: %t", got, want, tc.same)
			}
		})
	}
	a, b := base, base
	a.Detail, b.Detail = nil, map[string]string{}
	if !bytes.Equal(authenticator.AuditHash(a), authenticator.AuditHash(b)) {
		t.Errorf("nil and empty detail: got different hashes, want the same")
	}
}

// chain returns n records chained as a store chains them.
func chain(n int) []authenticator.AuditRecord {
	out := make([]authenticator.AuditRecord, 0, n)
	prev := authenticator.AuditGenesis()
	for i := range n {
		r := authenticator.AuditRecord{
			Seq: int64(i + 1), At: vectorTime.Add(time.Duration(i) * time.Second), Actor: fmt.Sprintf("op-%d", i%3),
			Action: authenticator.AuditUserRead, Target: fmt.Sprintf("user-%d", i),
			Detail: map[string]string{"n": fmt.Sprint(i)}, PrevHash: prev,
		}
		r.Hash = authenticator.AuditHash(r)
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

// rehash recomputes r's hash, as a forger who knows the encoding would.
func rehash(r *authenticator.AuditRecord) { r.Hash = authenticator.AuditHash(*r) }

// listedAudit is a store whose audit log is records, as they would be
// read back from a database someone tampered with.
type listedAudit struct {
	authenticator.Store
	records []authenticator.AuditRecord
}

func (s listedAudit) ListAudit(_ context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	var out []authenticator.AuditRecord
	for _, r := range s.records {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

// serviceOver builds a service over st.
func serviceOver(t *testing.T, st authenticator.Store) *authenticator.Service {
	t.Helper()
	svc, err := authenticator.New(authenticator.Config{RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin}},
		st, memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestVerifyAuditTampering(t *testing.T) {
	t.Parallel()
	base := newHarness(t).store
	for name, tc := range map[string]struct {
		n        int
		tamper   func([]authenticator.AuditRecord) []authenticator.AuditRecord
		anchors  func(orig []authenticator.AuditRecord) []authenticator.AuditAnchor
		records  int
		firstBad int64
		problem  string
	}{
		"empty":             {n: 0, records: 0},
		"intact":            {n: 6, records: 6},
		"intact over pages": {n: 2*authenticator.MaxPageSize + 3, records: 2*authenticator.MaxPageSize + 3},
		"detail changed": {n: 6, records: 6, firstBad: 3, problem: "record 3 does not match its hash",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[2].Detail = map[string]string{"n": "changed"}
				return rs
			}},
		"detail changed across pages": {n: 2*authenticator.MaxPageSize + 3, records: 2*authenticator.MaxPageSize + 3, firstBad: 777,
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[776].Actor = "someone else"
				return rs
			}},
		"middle record deleted": {n: 6, records: 5, firstBad: 3, problem: "record 3 is missing",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return slices.Delete(rs, 2, 3) }},
		"two middle records deleted": {n: 6, records: 4, firstBad: 3, problem: "records 3 to 4 are missing",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return slices.Delete(rs, 2, 4) }},
		"first record deleted": {n: 6, records: 5, firstBad: 1, problem: "record 1 is missing: the chain starts at record 2",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return rs[1:] }},
		"deleted and renumbered": {n: 6, records: 5, firstBad: 3, problem: "record 3 does not match its hash",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs = slices.Delete(rs, 2, 3)
				for i := 2; i < len(rs); i++ {
					rs[i].Seq--
				}
				return rs
			}},
		"reordered": {n: 6, records: 6, firstBad: 3, problem: "record 3 does not match its hash",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[2], rs[3] = rs[3], rs[2]
				rs[2].Seq, rs[3].Seq = 3, 4
				return rs
			}},
		"reordered, hashes recomputed": {n: 6, records: 6, firstBad: 3, problem: "record 3 does not follow record 2",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[2], rs[3] = rs[3], rs[2]
				rs[2].Seq, rs[3].Seq = 3, 4
				rehash(&rs[2])
				rehash(&rs[3])
				return rs
			}},
		"hash changed": {n: 6, records: 6, firstBad: 4, problem: "record 4 does not match its hash",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[3].Hash = bytes.Repeat([]byte{1}, 32)
				return rs
			}},
		"detail changed, hash recomputed": {n: 6, records: 6, firstBad: 4, problem: "record 4 does not follow record 3",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[2].Detail = map[string]string{"n": "changed"}
				rehash(&rs[2])
				return rs
			}},
		"record 1 not from genesis": {n: 3, records: 3, firstBad: 1, problem: "record 1 does not start the chain",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[0].PrevHash = bytes.Repeat([]byte{1}, 32)
				rehash(&rs[0])
				return rs
			}},
		"tail truncated, no anchor": {n: 6, records: 4,
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return rs[:4] }},
		"tail truncated, anchored": {n: 6, records: 4, firstBad: 5, problem: "the chain ends at record 4 but the anchor names record 6",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return rs[:4] },
			anchors: func(orig []authenticator.AuditRecord) []authenticator.AuditAnchor {
				return []authenticator.AuditAnchor{{Seq: 6, Hash: orig[5].Hash}}
			}},
		"all truncated, anchored": {n: 6, records: 0, firstBad: 1, problem: "the chain ends at record 0 but the anchor names record 6",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord { return nil },
			anchors: func(orig []authenticator.AuditRecord) []authenticator.AuditAnchor {
				return []authenticator.AuditAnchor{{Seq: 6, Hash: orig[5].Hash}}
			}},
		"intact, anchored at an earlier head": {n: 6, records: 6,
			anchors: func(orig []authenticator.AuditRecord) []authenticator.AuditAnchor {
				return []authenticator.AuditAnchor{{Seq: 2, Hash: orig[1].Hash}, {Seq: 6, Hash: orig[5].Hash}}
			}},
		"rewritten from record 2, anchored": {n: 6, records: 6, firstBad: 6, problem: "record 6 differs from the anchor",
			tamper: func(rs []authenticator.AuditRecord) []authenticator.AuditRecord {
				rs[1].Detail = map[string]string{"n": "forged"}
				for i := 1; i < len(rs); i++ {
					rs[i].PrevHash = rs[i-1].Hash
					rehash(&rs[i])
				}
				return rs
			},
			anchors: func(orig []authenticator.AuditRecord) []authenticator.AuditAnchor {
				return []authenticator.AuditAnchor{{Seq: 6, Hash: orig[5].Hash}}
			}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			orig := chain(tc.n)
			records := chain(tc.n)
			if tc.tamper != nil {
				records = tc.tamper(records)
			}
			var anchors []authenticator.AuditAnchor
			if tc.anchors != nil {
				anchors = tc.anchors(orig)
			}
			got, err := serviceOver(t, listedAudit{Store: base, records: records}).VerifyAudit(t.Context(), anchors...)
			if err != nil {
				t.Fatalf("VerifyAudit: got error %v, want nil", err)
			}
			if got.Records != tc.records || got.FirstBad != tc.firstBad || !strings.Contains(got.Problem, tc.problem) ||
				(tc.firstBad == 0) != (got.Problem == "") || got.Intact() != (tc.firstBad == 0) {
				t.Errorf("VerifyAudit: got %d records, first bad %d, problem %q; want %d, %d, %q",
					got.Records, got.FirstBad, got.Problem, tc.records, tc.firstBad, tc.problem)
			}
			wantHead := authenticator.AuditGenesis()
			if len(records) > 0 {
				wantHead = records[len(records)-1].Hash
			}
			if !bytes.Equal(got.Head, wantHead) {
				t.Errorf("VerifyAudit: got head %x, want %x", got.Head, wantHead)
			}
			// The same walk over a slice: what an auditor runs on an export.
			offline, err := authenticator.VerifyAuditChain(records, anchors...)
			if err != nil || !cmp.Equal(offline, got) {
				t.Errorf("VerifyAuditChain: got %+v, %v, want VerifyAudit's %+v", offline, err, got)
			}
		})
	}
}

func TestVerifyAuditBadAnchor(t *testing.T) {
	t.Parallel()
	svc := newHarness(t).svc
	for name, anchors := range map[string][]authenticator.AuditAnchor{
		"seq 0":      {{Seq: 0, Hash: make([]byte, 32)}},
		"short hash": {{Seq: 1, Hash: make([]byte, 31)}},
		"disagree":   {{Seq: 1, Hash: make([]byte, 32)}, {Seq: 1, Hash: bytes.Repeat([]byte{1}, 32)}},
	} {
		if _, err := svc.VerifyAudit(t.Context(), anchors...); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Errorf("%s: got error %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestParseAuditAnchor(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", 32)
	for in, want := range map[string]*authenticator.AuditAnchor{
		"12:" + hash:                  {Seq: 12, Hash: bytes.Repeat([]byte{0xab}, 32)},
		"12:" + strings.ToUpper(hash): {Seq: 12, Hash: bytes.Repeat([]byte{0xab}, 32)},
		"0:" + hash:                   nil,
		"-1:" + hash:                  nil,
		"+1:" + hash:                  nil,
		"012:" + hash:                 nil,
		"12:" + hash[2:]:              nil,
		"12" + hash:                   nil,
		"12:zz" + hash[2:]:            nil,
		"":                            nil,
	} {
		got, err := authenticator.ParseAuditAnchor(in)
		switch {
		case want == nil && !errors.Is(err, authenticator.ErrInvalidArgument):
			t.Errorf("ParseAuditAnchor(%q): got %+v, %v, want ErrInvalidArgument", in, got, err)
		case want != nil && (err != nil || !cmp.Equal(got, *want)):
			t.Errorf("ParseAuditAnchor(%q): got %+v, %v, want %+v, nil", in, got, err, *want)
		}
	}
}

// auditLog returns the whole audit log of st.
func auditLog(t *testing.T, st authenticator.Tx) []authenticator.AuditRecord {
	t.Helper()
	rs, err := st.ListAudit(t.Context(), 0, authenticator.MaxPageSize)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	return rs
}

// TestAdminActionsAreAudited checks DESIGN.md §7.7 for what the Admin
// contract offers today: a revoke and a read of a user's record each leave
// an audit record with the operator's sub, and refused requests leave none.
func TestAdminActionsAreAudited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	_, reg := h.enroll(t, "cust-1", softauthn.Options{})
	credID := base64.RawURLEncoding.EncodeToString(reg.Credential.ID)
	sub := auditSubjectOf(t, h.store, "cust-1")
	type rec struct {
		Actor, Action, Target string
		Detail                map[string]string
	}
	var want []rec

	if _, err := h.svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID, Operator: "op-1", Reason: "lost"}); err != nil {
		t.Fatal(err)
	}
	want = append(want, rec{"op-1", "credential.revoke", credID, map[string]string{"user": sub, "reason": "lost", "result": "revoked"}})
	if _, err := h.svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID, Operator: "op-2"}); err != nil {
		t.Fatal(err)
	}
	want = append(want, rec{"op-2", "credential.revoke", credID, map[string]string{"user": sub, "reason": "", "result": "already_revoked"}})
	if _, err := h.svc.GetUser(ctx, "cust-1"); err != nil {
		t.Fatal(err)
	}
	want = append(want, rec{Actor: authenticator.AuditActorUnattributed, Action: "user.read", Target: sub})
	if d, err := h.svc.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: "cust-1", Operator: "op-3"}); err != nil || d.User.ExternalID != "cust-1" {
		t.Fatalf("ReadUser: got %+v, %v, want cust-1", d.User, err)
	}
	want = append(want, rec{Actor: "op-3", Action: "user.read", Target: sub})

	// Refused or failed requests are not audited: nothing was done or read.
	refused := map[string]error{}
	_, refused["revoke without operator"] = h.svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID})
	_, refused["revoke unknown"] = h.svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: []byte("nope"), Operator: "op-1"})
	_, refused["read without operator"] = h.svc.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: "cust-1"})
	_, refused["read unknown"] = h.svc.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: "nobody", Operator: "op-1"})
	_, refused["get unknown"] = h.svc.GetUser(ctx, "nobody")
	for name, err := range refused {
		if err == nil {
			t.Errorf("%s: got no error, want one", name)
		}
	}

	var got []rec
	for _, r := range auditLog(t, h.store) {
		got = append(got, rec{r.Actor, r.Action, r.Target, r.Detail})
		if r.Target == "cust-1" || slices.Contains(slices.Collect(maps.Values(r.Detail)), "cust-1") {
			t.Errorf("record %d: got %+v, want the user named by the pseudonym only", r.Seq, r)
		}
		if !r.At.Equal(h.clock.Now().Truncate(time.Microsecond)) {
			t.Errorf("record %d: got time %v, want the service clock's %v", r.Seq, r.At, h.clock.Now())
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit log (-want +got):\n%s", d)
	}
	v, err := h.svc.VerifyAudit(ctx)
	if err != nil || !v.Intact() || v.Records != len(want) {
		t.Errorf("VerifyAudit: got %+v, %v, want %d records, intact", v, err, len(want))
	}
}

// failingAudit is a store whose audit appends fail.
type failingAudit struct{ authenticator.Store }

var errAuditDown = errors.New("audit log unavailable")

func (failingAudit) AppendAudit(context.Context, authenticator.AuditRecord) (authenticator.AuditRecord, error) {
	return authenticator.AuditRecord{}, errAuditDown
}

func (s failingAudit) Atomic(ctx context.Context, fn func(authenticator.Tx) error) error {
	return s.Store.Atomic(ctx, func(tx authenticator.Tx) error { return fn(failingAuditTx{tx}) })
}

type failingAuditTx struct{ authenticator.Tx }

func (failingAuditTx) AppendAudit(context.Context, authenticator.AuditRecord) (authenticator.AuditRecord, error) {
	return authenticator.AuditRecord{}, errAuditDown
}

// TestAdminActionsFailWithoutAudit checks that an operator action or read
// that cannot be audited fails, and a revoke is then undone.
func TestAdminActionsFailWithoutAudit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, reg := h.enroll(t, "cust-1", softauthn.Options{})
	svc := serviceOver(t, failingAudit{h.store})
	if _, err := svc.GetUser(t.Context(), "cust-1"); !errors.Is(err, errAuditDown) {
		t.Errorf("GetUser: got error %v, want the audit's", err)
	}
	if _, err := svc.ReadUser(t.Context(), authenticator.ReadUserRequest{ExternalID: "cust-1", Operator: "op"}); !errors.Is(err, errAuditDown) {
		t.Errorf("ReadUser: got error %v, want the audit's", err)
	}
	_, err := svc.RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID, Operator: "op"})
	if !errors.Is(err, errAuditDown) {
		t.Errorf("RevokeCredential: got error %v, want the audit's", err)
	}
	user := authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op"}
	cred := authenticator.CredentialActionRequest{CredentialID: reg.Credential.ID, Operator: "op"}
	for name, call := range map[string]func() error{
		"SuspendUser":       func() error { _, err := svc.SuspendUser(t.Context(), user); return err },
		"SuspendCredential": func() error { _, err := svc.SuspendCredential(t.Context(), cred); return err },
		"RenameCredential": func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: reg.Credential.ID, Name: "phone", Operator: "op"})
			return err
		},
	} {
		if err := call(); !errors.Is(err, errAuditDown) {
			t.Errorf("%s: got error %v, want the audit's", name, err)
		}
	}
	if c := h.credential(t, reg.Credential.ID); c.Status != authenticator.CredentialActive || c.Name != "" {
		t.Errorf("credential after unaudited actions: got status %s, name %q, want active and unnamed", c.Status, c.Name)
	}
	if u, err := h.store.GetUser(t.Context(), "cust-1"); err != nil || u.Status != authenticator.UserBiometricPending {
		t.Errorf("user after an unaudited suspend: got %s, %v, want biometric_pending", u.Status, err)
	}
	if evs, err := h.store.ListEvents(t.Context(), "cust-1", 1); err != nil || len(evs) == 0 || evs[0].Type != authenticator.EventCredentialRegistered {
		t.Errorf("newest event after unaudited actions: got %+v, %v, want credential.registered", evs, err)
	}
}

func TestExportAudit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	h.enroll(t, "cust-1", softauthn.Options{})
	for _, op := range []string{"op-1", "op-2 <ops@example.com>", "op-3"} {
		if _, err := h.svc.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: "cust-1", Operator: op}); err != nil {
			t.Fatal(err)
		}
	}
	stored := auditLog(t, h.store)

	var out bytes.Buffer
	if err := h.svc.ExportAudit(ctx, &out, 0); err != nil {
		t.Fatalf("ExportAudit: %v", err)
	}
	text := out.String()
	if !strings.Contains(text, "op-2 <ops@example.com>") {
		t.Errorf("export %s: want no HTML escaping", text)
	}
	var lines []authenticator.AuditRecord
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &keys); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if got, want := slices.Sorted(maps.Keys(keys)), []string{"action", "actor", "detail", "hash", "prev_hash", "seq", "target", "time"}; !slices.Equal(got, want) {
			t.Errorf("line keys: got %v, want %v", got, want)
		}
		if !strings.Contains(sc.Text(), `"detail":{}`) {
			t.Errorf("line %s: want an empty detail as {}", sc.Text())
		}
		var r authenticator.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r)
	}
	if d := cmp.Diff(stored, lines); d != "" {
		t.Errorf("export read back (-stored +exported):\n%s", d)
	}
	if v, err := authenticator.VerifyAuditChain(lines); err != nil || !v.Intact() || v.Records != 3 {
		t.Errorf("VerifyAuditChain of the export: got %+v, %v, want 3 records, intact", v, err)
	}
	want := fmt.Sprintf(`{"seq":1,"time":%q,"actor":"op-1","action":"user.read","target":%q,"detail":{},"prev_hash":"%s","hash":"%x"}`,
		stored[0].At.Format("2006-01-02T15:04:05.000000Z"), auditSubjectOf(t, h.store, "cust-1"), strings.Repeat("0", 64), stored[0].Hash)
	if first, _, _ := strings.Cut(text, "\n"); first != want {
		t.Errorf("first line: got %s, want %s", first, want)
	}

	out.Reset()
	if err := h.svc.ExportAudit(ctx, &out, 1); err != nil {
		t.Fatalf("ExportAudit since 1: %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.HasPrefix(out.String(), `{"seq":2,`) {
		t.Errorf("ExportAudit since 1: got %d lines %q, want records 2 and 3", n, out.String())
	}
	if err := h.svc.ExportAudit(ctx, &out, -1); !errors.Is(err, authenticator.ErrInvalidArgument) {
		t.Errorf("ExportAudit since -1: got error %v, want ErrInvalidArgument", err)
	}
}
