package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// auditLock is the key of the transaction-level advisory lock an append
// holds from reading the chain head to its commit, so that appends from
// every connection and replica queue for the head instead of forking the
// chain. It waits at most lock_timeout (LockTimeout), then ErrUnavailable.
const auditLock int64 = 0x62705f6175646974 // "bp_audit"

// AppendAudit appends r to the audit chain; see authenticator.Tx. It must
// run in a transaction (the Store's own AppendAudit opens one): it takes
// the chain's advisory lock, reads the head in a statement of its own (at
// READ COMMITTED, after the lock, so it sees the previous holder's commit)
// and inserts after it. The audit_log_extends_head trigger refuses any
// insert that does not extend the head, and other triggers refuse updates,
// deletes and TRUNCATE.
func (t txn) AppendAudit(ctx context.Context, r authenticator.AuditRecord) (authenticator.AuditRecord, error) {
	if _, ok := t.q.(pgx.Tx); !ok {
		return authenticator.AuditRecord{}, authenticator.Errorf(authenticator.CodeInternal, "postgres: append audit record outside a transaction")
	}
	if err := authenticator.ValidateAuditRecord(r); err != nil {
		return authenticator.AuditRecord{}, fmt.Errorf("postgres: append audit record: %w", err)
	}
	if _, err := t.q.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLock); err != nil {
		return authenticator.AuditRecord{}, dbError("append audit record: lock the chain head", err)
	}
	var (
		seq  int64
		head []byte
	)
	err := t.q.QueryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &head)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		head = authenticator.AuditGenesis()
	case err != nil:
		return authenticator.AuditRecord{}, dbError("append audit record: read the chain head", err)
	}
	r, detail, err := txstore.NextAudit(storeName, r, seq, head, normTime(r.At))
	if err != nil {
		return authenticator.AuditRecord{}, err
	}
	if _, err := t.q.Exec(ctx, `INSERT INTO audit_log (`+txstore.AuditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.Seq, ts(r.At), r.Actor, r.Action, r.Target, detail, r.PrevHash, r.Hash); err != nil {
		return authenticator.AuditRecord{}, dbError(fmt.Sprintf("append audit record %d", r.Seq), err)
	}
	return r, nil
}

// ListAudit returns the audit records after record after, in ascending
// order; see authenticator.Tx.
func (t txn) ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	n, err := txstore.PageSize(storeName, limit)
	if err != nil {
		return nil, err
	}
	return list(ctx, t, "list audit records", scanAudit,
		`SELECT `+txstore.AuditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, after, n)
}

// scanAudit reads a row of txstore.AuditColumns.
func scanAudit(row scanner) (authenticator.AuditRecord, error) {
	var (
		r      authenticator.AuditRecord
		at     pgtype.Timestamptz
		detail []byte
	)
	if err := row.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Target, &detail, &r.PrevHash, &r.Hash); err != nil {
		return authenticator.AuditRecord{}, err
	}
	var err error
	if r.Detail, err = txstore.DecodeDetail(detail); err != nil {
		return authenticator.AuditRecord{}, fmt.Errorf("audit record %d detail: %w", r.Seq, err)
	}
	r.At = fromTS(at)
	return r, nil
}
