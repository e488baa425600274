-- The audit trail (docs/audit.md): security-relevant actions, append-only, chained by
-- hash. Each entry's hash is sha256(previous hash || int8send(seq) || canonical bytes of
-- the entry), computed by the statement that appends it while it holds the chain's one
-- row, so entries are chained in the order their transactions take that row.
CREATE TABLE audit_entries (
    seq bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    action text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
    actor_id uuid,
    account_id uuid,
    subject text,
    client_address text,
    request_id text,
    details jsonb NOT NULL DEFAULT '{}',
    hash bytea NOT NULL
);
-- A user's own events ("was that login me?") and an admin's filters, newest first.
CREATE INDEX audit_entries_account ON audit_entries (account_id, seq) WHERE account_id IS NOT NULL;
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_entries_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_occurred_at ON audit_entries (occurred_at);

-- The chain's ends: the head (last entry appended) and the anchor (last entry that
-- retention removed; 0 and 32 zero bytes before any).
CREATE TABLE audit_chain (
    id integer PRIMARY KEY CHECK (id = 1),
    head_seq bigint NOT NULL,
    head_hash bytea NOT NULL,
    anchor_seq bigint NOT NULL,
    anchor_hash bytea NOT NULL
);
INSERT INTO audit_chain VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0, decode(repeat('00', 32), 'hex'));

-- Entries are never changed: only retention removes them, oldest first.
CREATE FUNCTION audit_entries_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_update();
