/// Every metric CloudTask reports, named once: the adapters, consumers and middleware
/// that record them take their names from here, so a dashboard or an alert reads one
/// list (the README's "Observability" section describes each).
public enum MetricNames {
    // HTTP, labelled by method, route template (never a raw path) and status.
    public static let httpRequests = "http_requests_total"
    public static let httpRequestDuration = "http_request_duration_seconds"
    public static let rateLimitRejections = "cloudtask_rate_limit_rejections_total"  // {policy}
    public static let rateLimitFallbacks = "cloudtask_rate_limit_fallbacks_total"
    /// What each finished run used, from its cgroup: histograms by the run's status.
    public static let jobCPUSeconds = "cloudtask_job_cpu_seconds"  // {status}
    public static let jobMemoryPeakBytes = "cloudtask_job_memory_peak_bytes"  // {status}
    public static let jobTasksPeak = "cloudtask_job_tasks_peak"  // {status}
    /// 1 for each part of the job sandbox this worker has, 0 for each it lacks.
    public static let sandboxFeature = "cloudtask_sandbox_feature"  // {feature}
    public static let cacheRequests = "cloudtask_cache_requests_total"  // {result}

    // Jobs.
    public static let jobsCreated = "cloudtask_jobs_created_total"
    public static let jobsFinished = "cloudtask_jobs_finished_total"  // {status}
    public static let jobRetries = "cloudtask_job_retries_total"
    public static let jobEventsIgnored = "cloudtask_job_events_ignored_total"
    public static let jobRunSeconds = "cloudtask_job_run_seconds"
    public static let workerJobsInFlight = "cloudtask_worker_jobs_in_flight"

    // The queue and the outbox.
    public static let queuePublishSeconds = "cloudtask_queue_publish_seconds"  // {kind}
    public static let messagesDeadLettered = "cloudtask_messages_dead_lettered_total"  // {queue}
    public static let reportsDeadLettered = "cloudtask_reports_dead_lettered_total"
    public static let outboxBacklog = "cloudtask_outbox_backlog"
    public static let outboxLagSeconds = "cloudtask_outbox_lag_seconds"

    // Mail.
    public static let mailAttempts = "cloudtask_mail_attempts_total"  // {kind, outcome}
    public static let mailBacklog = "cloudtask_mail_backlog"
    public static let mailDead = "cloudtask_mail_dead"
    public static let mailLagSeconds = "cloudtask_mail_lag_seconds"
}
