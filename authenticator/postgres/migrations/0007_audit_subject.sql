-- 0007: every user's audit pseudonym (authenticator.User.AuditSubject,
-- docs/adr/0010-erasure-and-pseudonymous-audit.md), and an index for
-- CountEventsByDay; the twin of
-- authenticator/sqlite/migrations/0007_audit_subject.sql. Existing users
-- get a random pseudonym: 'p-' and the 32 hex digits of a random UUID.
ALTER TABLE users ADD COLUMN audit_subject text COLLATE "C";

UPDATE users SET audit_subject = 'p-' || replace(gen_random_uuid()::text, '-', '');

ALTER TABLE users
    ALTER COLUMN audit_subject SET NOT NULL,
    ADD CONSTRAINT users_audit_subject_key UNIQUE (audit_subject),
    ADD CONSTRAINT users_audit_subject_set CHECK (audit_subject <> '');

-- The pseudonym never changes: the audit records that name it must keep
-- naming the same user.
CREATE FUNCTION users_audit_subject_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'users.audit_subject cannot change' USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER users_audit_subject_fixed BEFORE UPDATE OF audit_subject ON users
FOR EACH ROW WHEN (NEW.audit_subject IS DISTINCT FROM OLD.audit_subject)
EXECUTE FUNCTION users_audit_subject_fixed();

-- CountEventsByDay: the events in a time range.
CREATE INDEX events_by_at ON events (at);
