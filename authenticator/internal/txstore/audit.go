package txstore

import (
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// NextAudit returns r as the record that extends the audit chain whose head
// has seq and hash head (0 and authenticator.AuditGenesis() for an empty
// chain): numbered, at at (r.At as the store keeps it), linked and hashed;
// and its detail as EncodeDetail keeps it. store names the store in the
// message ("sqlite", "postgres").
func NextAudit(store string, r authenticator.AuditRecord, seq int64, head []byte, at time.Time) (authenticator.AuditRecord, string, error) {
	detail, err := EncodeDetail(store, "audit", r.Detail)
	if err != nil {
		return authenticator.AuditRecord{}, "", err
	}
	r.Seq, r.At, r.PrevHash = seq+1, at, head
	if len(r.Detail) == 0 {
		r.Detail = nil
	}
	r.Hash = authenticator.AuditHash(r)
	return r, detail, nil
}
