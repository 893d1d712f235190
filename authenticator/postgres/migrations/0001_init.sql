-- 0001: users, credentials and lifecycle events. The PostgreSQL twin of
-- authenticator/sqlite/migrations/0001_init.sql: same tables, columns and
-- versions, in PostgreSQL's types.
--
-- Times are timestamptz in UTC, to the microsecond; NULL stands for the zero
-- time. Identifiers that ListUsers orders by, and the columns that refer to
-- them, use the "C" collation: byte-wise, Go's string order.

CREATE TABLE users (
    external_id  text COLLATE "C" NOT NULL PRIMARY KEY,
    handle       bytea NOT NULL UNIQUE,
    username     text UNIQUE, -- NULL when the user has none
    display_name text NOT NULL,
    status       text NOT NULL,
    created_at   timestamptz,
    updated_at   timestamptz
);

-- seq stands in for SQLite's rowid: it orders credentials created at the
-- same instant in the order they were stored.
CREATE TABLE credentials (
    id                 bytea NOT NULL PRIMARY KEY,
    user_external_id   text COLLATE "C" NOT NULL REFERENCES users (external_id),
    public_key         bytea,
    attestation_type   text NOT NULL,
    attestation_format text NOT NULL,
    aaguid             bytea,
    sign_count         bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    backup_eligible    boolean NOT NULL,
    backup_state       boolean NOT NULL,
    transports         text[] NOT NULL,
    status             text NOT NULL,
    status_reason      text NOT NULL,
    created_at         timestamptz,
    last_used_at       timestamptz,
    seq                bigint GENERATED ALWAYS AS IDENTITY
);

-- ListCredentials: a user's credentials, oldest first.
CREATE INDEX credentials_by_user ON credentials (user_external_id, created_at);

-- Events are history: they carry the user's id but no foreign key, so that
-- they never stand in the way of a change to the user they describe.
CREATE TABLE events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type             text NOT NULL,
    user_external_id text COLLATE "C" NOT NULL,
    credential_id    bytea,
    actor            text NOT NULL,
    detail           jsonb NOT NULL CHECK (jsonb_typeof(detail) = 'object'),
    at               timestamptz
);

-- ListEvents: a user's events, newest first.
CREATE INDEX events_by_user ON events (user_external_id, id);
