package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var auditTests = []test{
	{"AppendAndList", testAuditAppendAndList},
	{"ListPages", testAuditListPages},
	{"InvalidRecord", testAuditInvalidRecord},
	{"AtomicCommit", testAuditAtomicCommit},
	{"AtomicRollbackLeavesNoGap", testAuditAtomicRollback},
	{"ConcurrentAppendsFormOneChain", testAuditConcurrentAppends},
}

// newAudit returns an audit record as a caller fills it in, its n-th.
func newAudit(n int) authenticator.AuditRecord {
	return authenticator.AuditRecord{
		At:     at(n),
		Actor:  fmt.Sprintf("operator-%d@example.com ✓", n),
		Action: authenticator.AuditCredentialRevoke,
		Target: fmt.Sprintf("Y3JlZC0_-%d", n),
		Detail: map[string]string{"reason": "lost device — ünïcode", "user": fmt.Sprintf("user-%d", n), "z_last": ""},
		// The store sets these, whatever the caller says.
		Seq: 99, PrevHash: []byte("ignored"), Hash: []byte("ignored"),
	}
}

// wantAudit is what a store must return for r appended as record seq
// after the record whose hash is prev.
func wantAudit(r authenticator.AuditRecord, seq int64, prev []byte) authenticator.AuditRecord {
	r.Seq, r.At, r.PrevHash = seq, norm(r.At), prev
	if len(r.Detail) == 0 {
		r.Detail = nil
	}
	r.Hash = authenticator.AuditHash(r)
	return r
}

// listAudit returns every audit record, a page of at most page at a time.
func listAudit(t *testing.T, s authenticator.Tx, page int) []authenticator.AuditRecord {
	t.Helper()
	var all []authenticator.AuditRecord
	for after := int64(0); ; {
		got, err := s.ListAudit(t.Context(), after, page)
		mustOK(t, fmt.Sprintf("ListAudit(%d, %d)", after, page), err)
		all = append(all, got...)
		if len(got) < page {
			return all
		}
		after = got[len(got)-1].Seq
	}
}

// checkChain reports an error unless records are an intact chain of n.
func checkChain(t *testing.T, records []authenticator.AuditRecord, n int) {
	t.Helper()
	v, err := authenticator.VerifyAuditChain(records)
	mustOK(t, "VerifyAuditChain", err)
	if !v.Intact() || v.Records != n {
		t.Errorf("VerifyAuditChain: got %d records, first bad %d (%s), want %d records, intact", v.Records, v.FirstBad, v.Problem, n)
	}
	for i, r := range records {
		if r.Seq != int64(i+1) {
			t.Errorf("record %d: got seq %d, want %d (gapless from 1)", i, r.Seq, i+1)
		}
	}
}

// testAuditAppendAndList checks that appends are numbered from 1, chained
// from 32 zero bytes, hashed with AuditHash, and listed as returned.
func testAuditAppendAndList(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	got, err := s.ListAudit(ctx, 0, 0)
	mustOK(t, "ListAudit of an empty chain", err)
	checkDiff(t, "ListAudit of an empty chain", got, []authenticator.AuditRecord(nil))

	ins := []authenticator.AuditRecord{newAudit(1), newAudit(2), newAudit(3)}
	ins[1].Detail, ins[1].Action, ins[1].Actor = nil, authenticator.AuditUserRead, authenticator.AuditActorSystem
	ins[2].Detail = map[string]string{}
	var want []authenticator.AuditRecord
	prev := authenticator.AuditGenesis()
	for i, r := range ins {
		out, err := s.AppendAudit(ctx, r)
		mustOK(t, fmt.Sprintf("AppendAudit #%d", i+1), err)
		w := wantAudit(r, int64(i+1), prev)
		checkDiff(t, fmt.Sprintf("AppendAudit #%d", i+1), out, w)
		want = append(want, w)
		prev = w.Hash
	}
	got, err = s.ListAudit(ctx, 0, 0)
	mustOK(t, "ListAudit", err)
	checkDiff(t, "ListAudit(0, 0)", got, want)
	checkChain(t, got, len(want))
	if !bytes.Equal(got[0].PrevHash, make([]byte, 32)) {
		t.Errorf("record 1: got prev_hash %x, want 32 zero bytes", got[0].PrevHash)
	}
}

// testAuditListPages checks ListAudit's after and limit.
func testAuditListPages(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	for i := range 5 {
		_, err := s.AppendAudit(ctx, newAudit(i))
		mustOK(t, "AppendAudit", err)
	}
	all, err := s.ListAudit(ctx, 0, authenticator.MaxPageSize)
	mustOK(t, "ListAudit", err)
	if len(all) != 5 {
		t.Fatalf("ListAudit: got %d records, want 5", len(all))
	}
	for name, tc := range map[string]struct {
		after     int64
		limit     int
		wantFirst int // index into all; -1 for none
		wantN     int
	}{
		"first two":       {after: 0, limit: 2, wantFirst: 0, wantN: 2},
		"after 2":         {after: 2, limit: 2, wantFirst: 2, wantN: 2},
		"last":            {after: 4, limit: 10, wantFirst: 4, wantN: 1},
		"after the head":  {after: 5, limit: 10, wantFirst: -1},
		"beyond the head": {after: 50, limit: 10, wantFirst: -1},
		"negative after":  {after: -3, limit: 1, wantFirst: 0, wantN: 1},
	} {
		got, err := s.ListAudit(ctx, tc.after, tc.limit)
		if err != nil {
			t.Errorf("%s: ListAudit(%d, %d): got error %v, want nil", name, tc.after, tc.limit, err)
			continue
		}
		var want []authenticator.AuditRecord
		if tc.wantFirst >= 0 {
			want = all[tc.wantFirst : tc.wantFirst+tc.wantN]
		}
		checkDiff(t, fmt.Sprintf("%s: ListAudit(%d, %d)", name, tc.after, tc.limit), got, want)
	}
	checkDiff(t, "ListAudit in pages of 2", listAudit(t, s, 2), all)
	for _, limit := range []int{-1, authenticator.MaxPageSize + 1} {
		_, err := s.ListAudit(ctx, 0, limit)
		wantErr(t, fmt.Sprintf("ListAudit(0, %d)", limit), err, authenticator.ErrInvalidArgument)
	}
}

// testAuditInvalidRecord checks that a record ValidateAuditRecord refuses
// is ErrInvalidArgument and takes no place in the chain.
func testAuditInvalidRecord(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	for name, mutate := range map[string]func(*authenticator.AuditRecord){
		"no time":        func(r *authenticator.AuditRecord) { r.At = time.Time{} },
		"no actor":       func(r *authenticator.AuditRecord) { r.Actor = " " },
		"bad action":     func(r *authenticator.AuditRecord) { r.Action = "Credential Revoke" },
		"NUL in target":  func(r *authenticator.AuditRecord) { r.Target = "a\x00b" },
		"invalid UTF-8":  func(r *authenticator.AuditRecord) { r.Detail = map[string]string{"reason": "\xff"} },
		"bad detail key": func(r *authenticator.AuditRecord) { r.Detail = map[string]string{"Reason": "x"} },
		"before 1970":    func(r *authenticator.AuditRecord) { r.At = time.Date(1969, time.December, 31, 0, 0, 0, 0, time.UTC) },
	} {
		r := newAudit(1)
		mutate(&r)
		_, err := s.AppendAudit(ctx, r)
		wantErr(t, name+": AppendAudit", err, authenticator.ErrInvalidArgument)
	}
	out, err := s.AppendAudit(ctx, newAudit(1))
	mustOK(t, "AppendAudit after the refused ones", err)
	if out.Seq != 1 {
		t.Errorf("AppendAudit after the refused ones: got seq %d, want 1", out.Seq)
	}
}

// testAuditAtomicCommit checks appends inside Atomic with other writes:
// they land together, numbered in order, and the transaction sees its own.
func testAuditAtomicCommit(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	first, err := s.AppendAudit(ctx, newAudit(1))
	mustOK(t, "AppendAudit", err)
	err = s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, newUser("alice")); err != nil {
			return fmt.Errorf("CreateUser: %w", err)
		}
		for i := 2; i <= 3; i++ {
			r, err := tx.AppendAudit(ctx, newAudit(i))
			if err != nil {
				return fmt.Errorf("AppendAudit #%d: %w", i, err)
			}
			if r.Seq != int64(i) {
				return fmt.Errorf("AppendAudit #%d: got seq %d, want %d", i, r.Seq, i)
			}
		}
		got, err := tx.ListAudit(ctx, first.Seq, 0)
		if err != nil || len(got) != 2 {
			return fmt.Errorf("ListAudit in the transaction: got %d records, error %v, want 2, nil", len(got), err)
		}
		return nil
	})
	mustOK(t, "Atomic", err)
	checkChain(t, listAudit(t, s, authenticator.MaxPageSize), 3)
}

// testAuditAtomicRollback checks that an append rolled back with its
// transaction leaves neither a record nor a gap.
func testAuditAtomicRollback(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	_, err := s.AppendAudit(ctx, newAudit(1))
	mustOK(t, "AppendAudit", err)
	err = s.Atomic(ctx, func(tx authenticator.Tx) error {
		if _, err := tx.AppendAudit(ctx, newAudit(2)); err != nil {
			return fmt.Errorf("AppendAudit: %w", err)
		}
		return errSentinel
	})
	wantErr(t, "Atomic", err, errSentinel)
	got := listAudit(t, s, authenticator.MaxPageSize)
	if len(got) != 1 {
		t.Fatalf("ListAudit after the rollback: got %d records, want 1", len(got))
	}
	next, err := s.AppendAudit(ctx, newAudit(3))
	mustOK(t, "AppendAudit after the rollback", err)
	if next.Seq != 2 || !bytes.Equal(next.PrevHash, got[0].Hash) {
		t.Errorf("AppendAudit after the rollback: got seq %d prev_hash %x, want 2, %x", next.Seq, next.PrevHash, got[0].Hash)
	}
	checkChain(t, listAudit(t, s, authenticator.MaxPageSize), 2)
}

// testAuditConcurrentAppends appends from many goroutines at once, half
// through the store and half inside Atomic with another write: every
// append lands, and together they form one gapless chain.
func testAuditConcurrentAppends(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	const each = 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for g := range concurrency {
		wg.Go(func() {
			for i := range each {
				r := newAudit(g*each + i)
				var err error
				if g%2 == 0 {
					_, err = s.AppendAudit(ctx, r)
				} else {
					err = s.Atomic(ctx, func(tx authenticator.Tx) error {
						if _, err := tx.AppendEvent(ctx, authenticator.Event{Type: authenticator.EventCredentialRevoked,
							UserExternalID: "alice", Actor: r.Actor, At: r.At}); err != nil {
							return err
						}
						_, err := tx.AppendAudit(ctx, r)
						return err
					})
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent AppendAudit: got error %v, want nil", err)
	}
	checkChain(t, listAudit(t, s, 7), concurrency*each)
}
