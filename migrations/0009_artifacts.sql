-- Files a job keeps from its working directory (docs/artifacts.md): the paths it
-- declared at submission, and for its latest finished run whether each was kept in
-- object storage (size and SHA-256 of what was stored) or why not. The objects live
-- under jobs/<job id>/<attempt>/artifacts/<name>; rows go with their job.
ALTER TABLE jobs ADD COLUMN artifacts text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(artifacts) <= 16);

CREATE TABLE job_artifacts (
    job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    name text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 255),
    attempt integer NOT NULL CHECK (attempt >= 1),
    size_bytes bigint CHECK (size_bytes >= 0),
    sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    error text CHECK (octet_length(error) <= 1024),
    -- Kept (size and digest) or not (why): never both, never neither.
    CHECK ((error IS NULL) = (size_bytes IS NOT NULL AND sha256 IS NOT NULL)),
    PRIMARY KEY (job_id, name)
);
