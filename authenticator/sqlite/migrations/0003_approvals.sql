-- 0003: transaction approvals (RFC 9396 authorization_details signed over
-- with a passkey, ADR 0005), kept so an approval can be verified again.
--
-- Same conventions as 0001: times are INTEGER Unix microseconds in UTC.
-- The signed bytes are stored exactly as received; the credential's public
-- key is read from credentials when verifying.
CREATE TABLE approvals (
    id                    TEXT NOT NULL PRIMARY KEY,
    user_external_id      TEXT NOT NULL REFERENCES users (external_id),
    client_id             TEXT NOT NULL,
    credential_id         BLOB NOT NULL,
    acr                   TEXT NOT NULL,
    authorization_details BLOB NOT NULL,
    details_hash          TEXT NOT NULL,
    authenticator_data    BLOB NOT NULL,
    client_data_json      BLOB NOT NULL,
    signature             BLOB NOT NULL,
    created_at            INTEGER
) STRICT;

CREATE INDEX approvals_by_user ON approvals (user_external_id, created_at);
