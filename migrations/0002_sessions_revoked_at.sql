-- Refilling the Redis denylist after an outage reads the sessions revoked in the last
-- access-token lifetime. Most sessions are never revoked early, so the index is partial.
CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
