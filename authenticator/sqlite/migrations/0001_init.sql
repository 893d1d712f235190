-- 0001: users, credentials and lifecycle events.
--
-- Times are INTEGER Unix microseconds in UTC; NULL stands for the zero time.
-- Tables are STRICT so that a value of the wrong type is refused, not coerced.

CREATE TABLE users (
    external_id  TEXT NOT NULL PRIMARY KEY,
    handle       BLOB NOT NULL UNIQUE,
    username     TEXT UNIQUE, -- NULL when the user has none
    display_name TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   INTEGER,
    updated_at   INTEGER
) STRICT;

CREATE TABLE credentials (
    id                 BLOB NOT NULL PRIMARY KEY,
    user_external_id   TEXT NOT NULL REFERENCES users (external_id),
    public_key         BLOB,
    attestation_type   TEXT NOT NULL,
    attestation_format TEXT NOT NULL,
    aaguid             BLOB,
    sign_count         INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    backup_eligible    INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backup_state       INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
    transports         TEXT NOT NULL CHECK (json_valid(transports) AND json_type(transports) = 'array'),
    status             TEXT NOT NULL,
    status_reason      TEXT NOT NULL,
    created_at         INTEGER,
    last_used_at       INTEGER
) STRICT;

-- ListCredentials: a user's credentials, oldest first.
CREATE INDEX credentials_by_user ON credentials (user_external_id, created_at);

-- Events are history: they carry the user's id but no foreign key, so that
-- they never stand in the way of a change to the user they describe.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    type             TEXT NOT NULL,
    user_external_id TEXT NOT NULL,
    credential_id    BLOB,
    actor            TEXT NOT NULL,
    detail           TEXT NOT NULL CHECK (json_valid(detail) AND json_type(detail) = 'object'),
    at               INTEGER
) STRICT;

-- ListEvents: a user's events, newest first.
CREATE INDEX events_by_user ON events (user_external_id, id);
