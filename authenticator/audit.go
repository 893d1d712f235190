package authenticator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the tamper-evident audit log (DESIGN.md §6, §7.7;
// docs/adr/0008-tamper-evident-audit.md): the record's hash, its JSON line,
// the chain check, and the service's VerifyAudit and ExportAudit. Stores
// append and list records (Tx.AppendAudit, Tx.ListAudit); they call
// AuditHash so that every store chains records the same way.

// Audit actors that are not an operator's sub.
const (
	// AuditActorSystem is the actor of an audited action the service takes
	// on its own.
	AuditActorSystem = "system"
	// AuditActorUnattributed is the actor of an operator read that arrived
	// without the operator's sub: the Admin contract's GetUser, kept for
	// older hosts (ADR 0008). ReadUser records the sub.
	AuditActorUnattributed = "unattributed"
)

// Audited actions (more beside the operator actions in admin.go). The
// target of a credential.* action is the credential id in base64url (no
// padding), with the user's AuditSubject in the detail "user"; of a user.*
// action, the user's AuditSubject. Audit records never name a user by the
// external id (ADR 0010); those written before migration 0007 did.
const (
	AuditCredentialRevoke = "credential.revoke" // RevokeCredential
	AuditUserRead         = "user.read"         // GetUser, ReadUser
)

// AuditHashSize is the size of an audit record's Hash and PrevHash.
const AuditHashSize = sha256.Size

// auditHashTag opens every record's hash input and names the encoding's
// version; a new encoding gets a new tag.
const auditHashTag = "biometric-passkey/audit/v1"

// Limits of an audit record (ValidateAuditRecord).
const (
	maxAuditActor       = 256
	maxAuditAction      = 64
	maxAuditTarget      = 1400 // a 1023-byte credential id in base64url is 1364 characters
	maxAuditDetail      = 16
	maxAuditDetailKey   = 64
	maxAuditDetailValue = 1024
)

// AuditGenesis returns the PrevHash of record 1: 32 zero bytes.
func AuditGenesis() []byte { return make([]byte, AuditHashSize) }

// AuditHash returns the SHA-256 that chains r: the hash of this encoding of
// (Seq, At, Actor, Action, Target, Detail, PrevHash), where field(b) is
// b's length as a 4-byte big-endian unsigned integer followed by b:
//
//	field("biometric-passkey/audit/v1")
//	Seq                  8 bytes, big-endian, signed
//	At                   8 bytes, big-endian, signed: Unix microseconds (UTC)
//	field(Actor) field(Action) field(Target)
//	len(Detail)          4 bytes, big-endian
//	field(key) field(value) for each entry, keys in ascending byte order
//	field(PrevHash)
//
// Strings are their UTF-8 bytes. r.Hash is not part of the input. The
// encoding is documented in ADR 0008 so that an auditor can check an
// export without this code.
func AuditHash(r AuditRecord) []byte {
	var b bytes.Buffer
	field := func(s []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(s))) // a bytes.Buffer does not fail
		b.Write(s)
	}
	field([]byte(auditHashTag))
	_ = binary.Write(&b, binary.BigEndian, r.Seq)
	_ = binary.Write(&b, binary.BigEndian, r.At.UnixMicro())
	field([]byte(r.Actor))
	field([]byte(r.Action))
	field([]byte(r.Target))
	keys := make([]string, 0, len(r.Detail))
	for k := range r.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go orders strings by their bytes
	_ = binary.Write(&b, binary.BigEndian, uint32(len(keys)))
	for _, k := range keys {
		field([]byte(k))
		field([]byte(r.Detail[k]))
	}
	field(r.PrevHash)
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

// ValidateAuditRecord checks what the caller of AppendAudit sets: At is
// set; Actor (at most 256 bytes) is not blank; Action is 1 to 64 of a-z
// 0-9 . _; Target has at most 1400 bytes; Detail has at most 16 entries,
// keys of 1 to 64 of a-z 0-9 _ and values of at most 1024 bytes; and every
// string is valid UTF-8 without NUL, so that each store keeps it byte for
// byte and the hash still matches when it is read back.
func ValidateAuditRecord(r AuditRecord) error {
	bad := func(format string, args ...any) error {
		return Errorf(CodeInvalidArgument, "audit record: "+format, args...)
	}
	switch {
	case r.At.IsZero() || r.At.Year() < 1970 || r.At.Year() > 9999:
		return bad("time %v is not set or out of range", r.At)
	case strings.TrimSpace(r.Actor) == "" || len(r.Actor) > maxAuditActor || !auditText(r.Actor):
		return bad("actor must be 1 to %d bytes of text", maxAuditActor)
	case r.Action == "" || len(r.Action) > maxAuditAction || !auditName(r.Action, true):
		return bad("action %q must be 1 to %d of a-z 0-9 . _", r.Action, maxAuditAction)
	case len(r.Target) > maxAuditTarget || !auditText(r.Target):
		return bad("target must be at most %d bytes of text", maxAuditTarget)
	case len(r.Detail) > maxAuditDetail:
		return bad("detail has %d entries, more than %d", len(r.Detail), maxAuditDetail)
	}
	for k, v := range r.Detail {
		if k == "" || len(k) > maxAuditDetailKey || !auditName(k, false) {
			return bad("detail key %q must be 1 to %d of a-z 0-9 _", k, maxAuditDetailKey)
		}
		if len(v) > maxAuditDetailValue || !auditText(v) {
			return bad("detail %q must be at most %d bytes of text", k, maxAuditDetailValue)
		}
	}
	return nil
}

// auditText reports whether s is valid UTF-8 without NUL.
func auditText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// auditName reports whether s is made of a-z 0-9 _ (and . when dot).
func auditName(s string, dot bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || dot && c == '.') {
			return false
		}
	}
	return true
}

// auditTimeFormat is how a record's time appears in its JSON line: UTC,
// always six fractional digits.
const auditTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// auditLine is an AuditRecord as one line of an export.
type auditLine struct {
	Seq      int64             `json:"seq"`
	Time     string            `json:"time"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Target   string            `json:"target"`
	Detail   map[string]string `json:"detail"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// MarshalJSON encodes r as a line of ExportAudit: seq, time (RFC 3339,
// UTC, microseconds), actor, action, target, detail (an object, {} when
// empty) and the hashes in lowercase hex.
func (r AuditRecord) MarshalJSON() ([]byte, error) {
	detail := r.Detail
	if detail == nil {
		detail = map[string]string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // an actor such as "Ann <ann@example.com>" stays readable
	err := enc.Encode(auditLine{
		Seq: r.Seq, Time: r.At.UTC().Format(auditTimeFormat), Actor: r.Actor, Action: r.Action, Target: r.Target,
		Detail: detail, PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash),
	})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// UnmarshalJSON decodes a line of ExportAudit, so that an export can be
// checked again with VerifyAuditChain.
func (r *AuditRecord) UnmarshalJSON(b []byte) error {
	var l auditLine
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return fmt.Errorf("audit record %d: time: %w", l.Seq, err)
	}
	prev, err := hex.DecodeString(l.PrevHash)
	if err != nil {
		return fmt.Errorf("audit record %d: prev_hash: %w", l.Seq, err)
	}
	hash, err := hex.DecodeString(l.Hash)
	if err != nil {
		return fmt.Errorf("audit record %d: hash: %w", l.Seq, err)
	}
	if len(l.Detail) == 0 {
		l.Detail = nil
	}
	*r = AuditRecord{Seq: l.Seq, At: at.UTC(), Actor: l.Actor, Action: l.Action, Target: l.Target,
		Detail: l.Detail, PrevHash: prev, Hash: hash}
	return nil
}

// AuditAnchor is a chain head an operator recorded earlier, out of the
// store's reach (ADR 0008): record Seq had Hash. Checking against it
// detects what the chain alone cannot: records cut from its tail, or the
// whole chain rewritten from some record on.
type AuditAnchor struct {
	Seq  int64
	Hash []byte
}

// ParseAuditAnchor parses an anchor written as SEQ:HEX, the way
// `audit verify` prints a head ("N records, head HEX" is the anchor N:HEX).
func ParseAuditAnchor(s string) (AuditAnchor, error) {
	seq, h, ok := strings.Cut(s, ":")
	var a AuditAnchor
	_, err := fmt.Sscanf(seq, "%d", &a.Seq)
	if ok && err == nil {
		a.Hash, err = hex.DecodeString(h)
	}
	if !ok || err != nil || a.Seq < 1 || fmt.Sprint(a.Seq) != seq || len(a.Hash) != AuditHashSize {
		return AuditAnchor{}, UserError(CodeInvalidArgument,
			fmt.Sprintf("audit anchor %q is not SEQ:HASH (a record number from 1 and 64 hex digits)", s), nil)
	}
	return a, nil
}

// AuditVerification is the result of checking the audit chain.
type AuditVerification struct {
	Records  int    // how many records the store holds (all were read)
	FirstBad int64  // the first record that fails, 0 when the chain is intact
	Problem  string // what is wrong with FirstBad; empty when intact
	Head     []byte // the last record's Hash (AuditGenesis when there is none)
}

// Intact reports whether the chain verified.
func (v AuditVerification) Intact() bool { return v.FirstBad == 0 }

// auditChain checks records one at a time, in ascending Seq order.
type auditChain struct {
	v       AuditVerification
	next    int64 // the Seq the next record must have
	anchors map[int64][]byte
}

func newAuditChain(anchors []AuditAnchor) (*auditChain, error) {
	c := &auditChain{next: 1, v: AuditVerification{Head: AuditGenesis()}, anchors: map[int64][]byte{}}
	for _, a := range anchors {
		if a.Seq < 1 || len(a.Hash) != AuditHashSize {
			return nil, UserError(CodeInvalidArgument, "an audit anchor needs a record number from 1 and a 32-byte hash", nil)
		}
		if h, ok := c.anchors[a.Seq]; ok && !bytes.Equal(h, a.Hash) {
			return nil, UserError(CodeInvalidArgument, fmt.Sprintf("two audit anchors for record %d disagree", a.Seq), nil)
		}
		c.anchors[a.Seq] = a.Hash
	}
	return c, nil
}

// fail records the first problem only.
func (c *auditChain) fail(seq int64, format string, args ...any) {
	if c.v.FirstBad == 0 {
		c.v.FirstBad, c.v.Problem = seq, fmt.Sprintf(format, args...)
	}
}

// add checks r, the record after the ones added before.
func (c *auditChain) add(r AuditRecord) {
	c.v.Records++
	switch {
	case r.Seq > c.next && c.next == 1:
		c.fail(1, "record 1 is missing: the chain starts at record %d", r.Seq)
	case r.Seq > c.next && c.next == r.Seq-1:
		c.fail(c.next, "record %d is missing: the chain goes from record %d to record %d", c.next, c.next-1, r.Seq)
	case r.Seq > c.next:
		c.fail(c.next, "records %d to %d are missing: the chain goes from record %d to record %d", c.next, r.Seq-1, c.next-1, r.Seq)
	case r.Seq < c.next:
		c.fail(r.Seq, "record %d is out of order: it comes after record %d", r.Seq, c.next-1)
	case !bytes.Equal(AuditHash(r), r.Hash):
		c.fail(r.Seq, "record %d does not match its hash: its contents or its hash were changed", r.Seq)
	case !bytes.Equal(r.PrevHash, c.v.Head):
		if r.Seq == 1 {
			c.fail(r.Seq, "record 1 does not start the chain: its prev_hash is not 32 zero bytes")
		} else {
			c.fail(r.Seq, "record %d does not follow record %d: its prev_hash is not that record's hash", r.Seq, r.Seq-1)
		}
	}
	if want, ok := c.anchors[r.Seq]; ok && !bytes.Equal(want, r.Hash) {
		c.fail(r.Seq, "record %d differs from the anchor: the chain was rewritten at or before it", r.Seq)
	}
	c.next = max(c.next, r.Seq) + 1
	c.v.Head = r.Hash
}

// result ends the walk: an anchor beyond the last record means the tail
// was cut off.
func (c *auditChain) result() AuditVerification {
	last := c.next - 1
	var beyond int64
	for seq := range c.anchors {
		beyond = max(beyond, seq)
	}
	if beyond > last {
		c.fail(last+1, "the chain ends at record %d but the anchor names record %d: records were removed from its end", last, beyond)
	}
	return c.v
}

// VerifyAuditChain checks records, the whole chain in the order stored,
// as VerifyAudit does; it is what an export read back is checked with.
func VerifyAuditChain(records []AuditRecord, anchors ...AuditAnchor) (AuditVerification, error) {
	c, err := newAuditChain(anchors)
	if err != nil {
		return AuditVerification{}, err
	}
	for _, r := range records {
		c.add(r)
	}
	return c.result(), nil
}

// VerifyAudit walks the whole audit chain, a page at a time, and reports
// the first record that breaks it: one missing, out of order, changed
// (its hash no longer matches), or not linked to the one before. A chain
// cut short at its end, or rewritten from some record on with the hashes
// recomputed, still links up; only an anchor recorded earlier (the head an
// operator exported, ADR 0008) shows it, so VerifyAudit also checks any
// anchors given. The error is for a failure to read the chain, not for a
// broken one.
func (s *Service) VerifyAudit(ctx context.Context, anchors ...AuditAnchor) (AuditVerification, error) {
	c, err := newAuditChain(anchors)
	if err != nil {
		return AuditVerification{}, err
	}
	err = s.walkAudit(ctx, 0, func(r AuditRecord) error {
		c.add(r)
		return nil
	})
	if err != nil {
		return AuditVerification{}, fmt.Errorf("verify audit: %w", err)
	}
	return c.result(), nil
}

// ExportAudit writes the audit records after record since (0 for all) to
// w as JSON lines, one record per line in ascending Seq order, in the
// format of AuditRecord.MarshalJSON. It does not check the chain: run
// VerifyAudit, or VerifyAuditChain on the lines read back.
func (s *Service) ExportAudit(ctx context.Context, w io.Writer, since int64) error {
	if since < 0 {
		return UserError(CodeInvalidArgument, "since must be a record number, 0 or more", nil)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err := s.walkAudit(ctx, since, func(r AuditRecord) error { return enc.Encode(r) })
	if err != nil {
		return fmt.Errorf("export audit: %w", err)
	}
	return nil
}

// ListAudit returns a page of the audit records after record after (0 for
// the first page), in ascending Seq order, at most limit (1 to
// MaxPageSize; 0 means DefaultPageSize): ExportAudit a page at a time, for
// callers across the plugin wire. A page shorter than asked for is the
// last. Like ExportAudit it does not check the chain.
func (s *Service) ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error) {
	switch {
	case after < 0:
		return nil, UserError(CodeInvalidArgument, "after must be a record number, 0 or more", nil)
	case limit < 0 || limit > MaxPageSize:
		return nil, UserError(CodeInvalidArgument, fmt.Sprintf("limit must be between 1 and %d", MaxPageSize), nil)
	}
	recs, err := s.store.ListAudit(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return recs, nil
}

// walkAudit calls fn with every record after record after, in order.
func (s *Service) walkAudit(ctx context.Context, after int64, fn func(AuditRecord) error) error {
	for {
		page, err := s.store.ListAudit(ctx, after, MaxPageSize)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < MaxPageSize {
			return nil
		}
		last := page[len(page)-1].Seq
		if last <= after {
			return Errorf(CodeInternal, "list audit after %d returned record %d", after, last)
		}
		after = last
	}
}

// audit appends an audit record in tx (which may be the store itself), at
// the service's clock; the caller sets Actor, Action, Target and Detail.
func (s *Service) audit(ctx context.Context, tx Tx, r AuditRecord) error {
	_, err := s.appendAudit(ctx, tx, r)
	return err
}

// appendAudit is audit returning the record as stored.
func (s *Service) appendAudit(ctx context.Context, tx Tx, r AuditRecord) (AuditRecord, error) {
	r.At = s.now().UTC()
	if err := ValidateAuditRecord(r); err != nil {
		return AuditRecord{}, fmt.Errorf("audit %s: %w", r.Action, err)
	}
	stored, err := tx.AppendAudit(ctx, r)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("append %s audit record: %w", r.Action, err)
	}
	return stored, nil
}
