-- The reference implementation's tables: the columns the benchmark reads have the same
-- names as CloudTask's (status, created_at, finished_at), so one query measures both.
CREATE TABLE IF NOT EXISTS users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS jobs (
    id              uuid PRIMARY KEY,
    owner_id        uuid NOT NULL REFERENCES users(id),
    status          text NOT NULL,
    command         text NOT NULL,
    args            text[] NOT NULL,
    priority        integer NOT NULL DEFAULT 0,
    timeout_seconds integer NOT NULL DEFAULT 300,
    max_attempts    integer NOT NULL DEFAULT 1,
    attempts        integer NOT NULL DEFAULT 0,
    exit_code       integer,
    stdout          text NOT NULL DEFAULT '',
    stderr          text NOT NULL DEFAULT '',
    run_at          timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX IF NOT EXISTS jobs_owner_newest ON jobs (owner_id, created_at DESC);
