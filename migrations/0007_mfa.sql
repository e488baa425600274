-- Two-factor login (docs/mfa.md). The TOTP secret is sealed with AES-256-GCM under
-- CLOUDTASK_MFA_KEY before it reaches this table ("v1.<key id>.<box>"); recovery codes
-- and challenge tokens are stored as hashes only.
CREATE TABLE mfa_totp (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed text NOT NULL,
    created_at timestamptz NOT NULL,
    confirmed_at timestamptz,
    -- The last 30-second step a code was accepted for: each code works once.
    last_used_step bigint NOT NULL DEFAULT 0
);

CREATE TABLE mfa_recovery_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Logins that passed the password step and wait for a code: short-lived, single-use,
-- a few attempts each.
CREATE TABLE mfa_challenges (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    attempts_left integer NOT NULL
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
