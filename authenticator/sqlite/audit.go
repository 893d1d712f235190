package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// AppendAudit appends r to the audit chain; see authenticator.Tx. It reads
// the chain head and inserts after it in one write transaction, and write
// transactions are serialised (the store's write queue, then BEGIN
// IMMEDIATE against other processes), so two appends never see the same
// head. The audit_log_extends_head trigger refuses any insert that does
// not extend the head, and other triggers refuse updates and deletes.
func (t txn) AppendAudit(ctx context.Context, r authenticator.AuditRecord) (authenticator.AuditRecord, error) {
	if t.tx == nil {
		return authenticator.AuditRecord{}, authenticator.Errorf(authenticator.CodeInternal, "sqlite: append audit record outside a transaction")
	}
	if err := authenticator.ValidateAuditRecord(r); err != nil {
		return authenticator.AuditRecord{}, fmt.Errorf("sqlite: append audit record: %w", err)
	}
	var (
		seq  int64
		head []byte
	)
	err := t.queryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &head)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		head = authenticator.AuditGenesis()
	case err != nil:
		return authenticator.AuditRecord{}, dbError("append audit record: read the chain head", err)
	}
	r, detail, err := txstore.NextAudit(storeName, r, seq, head, normTime(r.At))
	if err != nil {
		return authenticator.AuditRecord{}, err
	}
	if _, err := t.exec(ctx, `INSERT INTO audit_log (`+txstore.AuditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.At.UnixMicro(), r.Actor, r.Action, r.Target, detail, r.PrevHash, r.Hash); err != nil {
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
		`SELECT `+txstore.AuditColumns+` FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, after, n)
}

// scanAudit reads a row of txstore.AuditColumns.
func scanAudit(row scanner) (authenticator.AuditRecord, error) {
	var (
		r      authenticator.AuditRecord
		at     int64
		detail string
	)
	if err := row.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Target, &detail, &r.PrevHash, &r.Hash); err != nil {
		return authenticator.AuditRecord{}, err
	}
	var err error
	if r.Detail, err = txstore.DecodeDetail([]byte(detail)); err != nil {
		return authenticator.AuditRecord{}, fmt.Errorf("audit record %d detail: %w", r.Seq, err)
	}
	r.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
	return r, nil
}
