-- 0002: biometric references and identity-verification checks; the twin of
-- authenticator/sqlite/migrations/0002_idv.sql.
--
-- Same conventions as 0001: timestamptz in UTC, NULL for the zero time.

-- A reference holds no biometric data: sealed_ref is the provider's
-- reference id as the service sealed it (DESIGN.md §7.6), opaque here.
CREATE TABLE biometric_references (
    id               text NOT NULL PRIMARY KEY,
    user_external_id text COLLATE "C" NOT NULL REFERENCES users (external_id),
    provider         text NOT NULL,
    sealed_ref       bytea,
    status           text NOT NULL,
    created_at       timestamptz,
    revoked_at       timestamptz,
    seq              bigint GENERATED ALWAYS AS IDENTITY -- storage order, as SQLite's rowid
);

-- ListReferences: a user's references, oldest first.
CREATE INDEX biometric_references_by_user ON biometric_references (user_external_id, created_at);

-- A check is keyed by the provider's run id, which is unique only within
-- its provider. reference_id is '' when there is none; it has no foreign
-- key, since an enrollment check may name the reference it establishes in
-- the same transaction that creates it, in either order.
CREATE TABLE idv_checks (
    provider         text NOT NULL,
    run_id           text NOT NULL,
    user_external_id text COLLATE "C" NOT NULL REFERENCES users (external_id),
    journey          text NOT NULL,
    ceremony_id      text NOT NULL,
    reference_id     text NOT NULL,
    status           text NOT NULL,
    reason           text NOT NULL,
    created_at       timestamptz,
    completed_at     timestamptz,
    PRIMARY KEY (provider, run_id)
);

-- Indexes the foreign key, so that a user's checks are found without
-- scanning the table.
CREATE INDEX idv_checks_by_user ON idv_checks (user_external_id, created_at);
