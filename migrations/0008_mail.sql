-- Mail (docs/mail.md). Account mail follows the audit trail: the planner reads entries
-- in chain order after `mail_planner.position` and queues the mail they call for, in one
-- transaction with moving the position, so every audited change (written with its entry)
-- gets its mail exactly once. Job notices are queued with the job change that ends the job.
-- Rows hold no secret: links are signed when the message is made, just before sending.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
ALTER TABLE jobs ADD COLUMN notify boolean NOT NULL DEFAULT false;

CREATE TABLE mail_planner (
    id integer PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
);
-- Start at the chain's head: events from before mail existed send nothing.
INSERT INTO mail_planner SELECT 1, head_seq FROM audit_chain;

CREATE TABLE mail_queue (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    account_id uuid NOT NULL,
    job_id uuid,
    -- The audit entry that called for it: planning twice queues nothing twice.
    audit_seq bigint,
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    -- Past this the mail is not worth sending (a reset link that has expired).
    not_after timestamptz,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead', 'dropped')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    finished_at timestamptz,
    UNIQUE (kind, audit_seq)
);
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_queue_finished ON mail_queue (finished_at) WHERE state <> 'pending';
