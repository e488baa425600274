-- What a job's last run used, read from its cgroup by the worker that ran it (null
-- before a run ends, and for runs on a worker without a cgroup per run).
ALTER TABLE jobs
    ADD COLUMN usage_cpu_user_seconds double precision CHECK (usage_cpu_user_seconds >= 0),
    ADD COLUMN usage_cpu_system_seconds double precision CHECK (usage_cpu_system_seconds >= 0),
    ADD COLUMN usage_memory_peak_bytes bigint CHECK (usage_memory_peak_bytes >= 0),
    ADD COLUMN usage_tasks_peak integer CHECK (usage_tasks_peak >= 0),
    ADD COLUMN usage_io_read_bytes bigint CHECK (usage_io_read_bytes >= 0),
    ADD COLUMN usage_io_write_bytes bigint CHECK (usage_io_write_bytes >= 0);
