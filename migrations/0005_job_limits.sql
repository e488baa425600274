-- The limits a job's runs are held to (each run's cgroup): what the submission asked
-- for, or the deployment's defaults when it was made. Null for jobs made before limits
-- existed (their workers apply their own defaults).
ALTER TABLE jobs
    ADD COLUMN limit_memory_bytes bigint CHECK (limit_memory_bytes > 0),
    ADD COLUMN limit_cpu double precision CHECK (limit_cpu > 0),
    ADD COLUMN limit_tasks integer CHECK (limit_tasks > 0);
