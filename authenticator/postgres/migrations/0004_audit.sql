-- 0004: the tamper-evident audit log (DESIGN.md §6, §7.7; ADR 0008); the
-- twin of authenticator/sqlite/migrations/0004_audit.sql.
--
-- Records are hash-chained: hash is authenticator.AuditHash of the record,
-- which covers prev_hash, the hash of the record before (32 zero bytes for
-- record 1). seq runs 1, 2, 3, … without gaps: the store takes a
-- transaction-level advisory lock on the chain, then appends max(seq) + 1
-- in the same transaction, so concurrent appends (from any replica) queue
-- instead of forking the chain, and a rolled-back append leaves no gap.
-- Same conventions as 0001: at is timestamptz in UTC, to the microsecond.
CREATE TABLE audit_log (
    seq       bigint NOT NULL PRIMARY KEY CHECK (seq >= 1),
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    target    text NOT NULL,
    detail    jsonb NOT NULL CHECK (jsonb_typeof(detail) = 'object'),
    prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash      bytea NOT NULL CHECK (length(hash) = 32)
);

-- Append-only: a record is never changed or removed (TRUNCATE included),
-- and a new one must extend the chain's head. The table's owner or a
-- superuser can drop these triggers (or ALTER TABLE … DISABLE TRIGGER);
-- the chain then shows what they changed (`biometric-passkey-plugin audit
-- verify`).
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

CREATE FUNCTION audit_log_check_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM coalesce(head_seq, 0) + 1
       OR NEW.prev_hash IS DISTINCT FROM coalesce(head_hash, decode(repeat('00', 32), 'hex')) THEN
        RAISE EXCEPTION 'audit_log is append-only: record % does not extend the chain head %', NEW.seq, coalesce(head_seq, 0)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_extends_head BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_check_head();
