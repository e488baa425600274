public import Domain

/// Where a worker puts the files a run kept (docs/artifacts.md): object storage, or
/// nowhere when none is configured (each file then reported as not kept, and why).
public protocol ArtifactSink: Sendable {
    /// Stores the files one attempt kept and removes the copies the runner made; one
    /// record per file, in order. Never throws: a file the store refused is a record with
    /// the reason, and the job still ends.
    func store(_ files: [KeptFile], job: JobID, attempt: Int) async -> [JobArtifact]

    /// Stores the full logs of one attempt (`ProcessResult.logs`) and removes their files;
    /// a log the store refuses is only logged (the job's output in PostgreSQL stands).
    func storeLogs(_ logs: [KeptFile], job: JobID, attempt: Int) async
    /// Removes the copies without storing them (a run abandoned at shutdown).
    func discard(_ files: [KeptFile])
}
