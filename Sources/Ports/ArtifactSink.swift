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

    /// Fetches a run's input files to local copies, each at most `maxBytes`, in order;
    /// the copies are the caller's until it hands them to `release`. A file that cannot be
    /// fetched throws `InputFetchFailure` naming it and why (the copies made so far are
    /// removed).
    func fetch(_ inputs: [InputPlacement], maxBytes: Int64) async throws(InputFetchFailure) -> [StagedInput]
    /// Removes fetched copies.
    func release(_ inputs: [StagedInput]) async
}

/// Why a run's inputs could not be fetched, in words for the job's owner (the store's
/// address and its error text stay in the worker's log).
public struct InputFetchFailure: Error, Hashable, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
