-- 0004: the tamper-evident audit log (DESIGN.md §6, §7.7; ADR 0008).
--
-- Records are hash-chained: hash is authenticator.AuditHash of the record,
-- which covers prev_hash, the hash of the record before (32 zero bytes for
-- record 1). seq runs 1, 2, 3, … without gaps: the store appends max(seq) + 1
-- inside its write transaction, which SQLite serialises (BEGIN IMMEDIATE),
-- so concurrent appends never fork the chain and a rolled-back append
-- leaves no gap. Same conventions as 0001: at is INTEGER Unix microseconds
-- in UTC; the table is STRICT.
CREATE TABLE audit_log (
    seq       INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL CHECK (json_valid(detail) AND json_type(detail) = 'object'),
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- Append-only: a record is never changed or removed, and a new one must
-- extend the chain's head. Someone with write access to the file can drop
-- these triggers; the chain then shows what they changed
-- (`biometric-passkey-plugin audit verify`).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: records cannot be updated');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: records cannot be deleted');
END;

CREATE TRIGGER audit_log_extends_head BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM audit_log), 0) + 1
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), zeroblob(32))
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: a record must extend the chain head');
END;
