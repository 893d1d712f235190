-- 0003: transaction approvals (RFC 9396 authorization_details signed over
-- with a passkey, ADR 0005), kept so an approval can be verified again; the
-- twin of authenticator/sqlite/migrations/0003_approvals.sql.
--
-- Same conventions as 0001. The signed bytes are stored exactly as received
-- (bytea, never json, which would normalise them); the credential's public
-- key is read from credentials when verifying.
CREATE TABLE approvals (
    id                    text NOT NULL PRIMARY KEY,
    user_external_id      text COLLATE "C" NOT NULL REFERENCES users (external_id),
    client_id             text NOT NULL,
    credential_id         bytea NOT NULL,
    acr                   text NOT NULL,
    authorization_details bytea NOT NULL,
    details_hash          text NOT NULL,
    authenticator_data    bytea NOT NULL,
    client_data_json      bytea NOT NULL,
    signature             bytea NOT NULL,
    created_at            timestamptz
);

CREATE INDEX approvals_by_user ON approvals (user_external_id, created_at);
