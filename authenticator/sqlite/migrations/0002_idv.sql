-- 0002: biometric references and identity-verification checks.
--
-- Same conventions as 0001: times are INTEGER Unix microseconds in UTC, NULL
-- for the zero time; tables are STRICT.

-- A reference holds no biometric data: sealed_ref is the provider's
-- reference id as the service sealed it (DESIGN.md §7.6), opaque here.
CREATE TABLE biometric_references (
    id               TEXT NOT NULL PRIMARY KEY,
    user_external_id TEXT NOT NULL REFERENCES users (external_id),
    provider         TEXT NOT NULL,
    sealed_ref       BLOB,
    status           TEXT NOT NULL,
    created_at       INTEGER,
    revoked_at       INTEGER
) STRICT;

-- ListReferences: a user's references, oldest first.
CREATE INDEX biometric_references_by_user ON biometric_references (user_external_id, created_at);

-- A check is keyed by the provider's run id, which is unique only within
-- its provider. reference_id is '' when there is none; it has no foreign
-- key, since an enrollment check may name the reference it establishes in
-- the same transaction that creates it, in either order.
CREATE TABLE idv_checks (
    provider         TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    user_external_id TEXT NOT NULL REFERENCES users (external_id),
    journey          TEXT NOT NULL,
    ceremony_id      TEXT NOT NULL,
    reference_id     TEXT NOT NULL,
    status           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_at       INTEGER,
    completed_at     INTEGER,
    PRIMARY KEY (provider, run_id)
) STRICT;

-- Indexes the foreign key, as SQLite advises for every child key, so that a
-- user's checks are found without scanning the table.
CREATE INDEX idv_checks_by_user ON idv_checks (user_external_id, created_at);
