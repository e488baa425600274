-- CloudTask's first schema: accounts, sessions (refresh-token families), jobs, their
-- output, and the outbox. Applied once, in one transaction, by `cloudtask-api migrate`.
-- Accounts are never deleted, so sessions and jobs name their user without a foreign
-- key: each store stays usable (and testable) on its own.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    username      text,
    role          text NOT NULL CHECK (role IN ('admin', 'user', 'viewer')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- "No admin exists yet" is asked at every bootstrap registration.
CREATE INDEX users_admins ON users (id) WHERE role = 'admin';

CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz,
    revocation_reason text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Only keyed hashes of refresh tokens are stored. A spent token stays, so that
-- presenting it again is recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    spent_at   timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    owner_id          uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    command           text NOT NULL,
    args              text[] NOT NULL,
    priority          integer NOT NULL CHECK (priority BETWEEN 0 AND 9),
    timeout_seconds   integer NOT NULL CHECK (timeout_seconds BETWEEN 1 AND 3600),
    max_attempts      integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
    attempts          integer NOT NULL,
    deliveries        integer NOT NULL,
    worker_id         text,
    run_at            timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    started_at        timestamptz,
    finished_at       timestamptz,
    stop_requested_at timestamptz,
    exit_code         integer,
    failure_code      text,
    failure_message   text,
    idempotency_key   text,
    requested_run_at  timestamptz,
    version           integer NOT NULL
);
-- Idempotency-Key is unique per owner.
CREATE UNIQUE INDEX jobs_idempotency ON jobs (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Keyset pagination, newest first: one owner's jobs, and everyone's (admins).
CREATE INDEX jobs_owner_newest ON jobs (owner_id, created_at DESC, id DESC);
CREATE INDEX jobs_newest ON jobs (created_at DESC, id DESC);
-- The scheduler's question: which scheduled jobs are due?
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'scheduled';
-- The unfinished-jobs limit per user.
CREATE INDEX jobs_unfinished ON jobs (owner_id) WHERE status IN ('scheduled', 'queued', 'running');
-- Retention: final jobs by finish time.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');

CREATE TABLE job_outputs (
    job_id    uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    stdout    text NOT NULL DEFAULT '',
    stderr    text NOT NULL DEFAULT '',
    truncated boolean NOT NULL DEFAULT false
);

-- Messages written in the transaction of the change they announce; the relay
-- publishes them and marks them published.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    job_id       uuid NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
