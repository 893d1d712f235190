-- 0005: a user-visible name for each passkey (authenticator.Credential.Name),
-- set by an operator's RenameCredential; empty until then. The statuses a
-- credential may take (active, flagged, suspended, revoked) are plain TEXT
-- and need no change here.
ALTER TABLE credentials ADD COLUMN name TEXT NOT NULL DEFAULT '';
