-- 0007: every user's audit pseudonym (authenticator.User.AuditSubject,
-- docs/adr/0010-erasure-and-pseudonymous-audit.md), and an index for
-- CountEventsByDay.
--
-- SQLite adds a NOT NULL column only with a constant default, and checks
-- no UNIQUE constraint in ALTER TABLE; rebuilding users instead would mean
-- turning foreign keys off, which cannot be done inside the migration's
-- transaction. So the column comes with the default '', every existing
-- user gets a random pseudonym, a unique index enforces uniqueness, and
-- triggers refuse the empty default, so that NOT NULL means "set".
ALTER TABLE users ADD COLUMN audit_subject TEXT NOT NULL DEFAULT '';

UPDATE users SET audit_subject = 'p-' || lower(hex(randomblob(16)));

CREATE UNIQUE INDEX users_by_audit_subject ON users (audit_subject);

CREATE TRIGGER users_audit_subject_insert BEFORE INSERT ON users
WHEN NEW.audit_subject = ''
BEGIN
    SELECT RAISE(ABORT, 'users.audit_subject must be set');
END;

-- The pseudonym never changes: the audit records that name it must keep
-- naming the same user.
CREATE TRIGGER users_audit_subject_update BEFORE UPDATE OF audit_subject ON users
WHEN NEW.audit_subject IS NOT OLD.audit_subject
BEGIN
    SELECT RAISE(ABORT, 'users.audit_subject cannot change');
END;

-- CountEventsByDay: the events in a time range.
CREATE INDEX events_by_at ON events (at);
