-- 0005: a user-visible name for each passkey (authenticator.Credential.Name),
-- set by an operator's RenameCredential; empty until then; the twin of
-- authenticator/sqlite/migrations/0005_credential_name.sql.
ALTER TABLE credentials ADD COLUMN name text NOT NULL DEFAULT '';
