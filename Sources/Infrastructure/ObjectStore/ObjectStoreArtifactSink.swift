public import Domain
import Foundation
public import Logging
public import Ports

#if canImport(Glibc)
    import Glibc
#endif

/// Puts the files a run kept into object storage under
/// `jobs/<job>/<attempt>/artifacts/<name>` (ArtifactRules.objectKey), one after another,
/// and removes the runner's copies whatever happens. Without a store (none configured on
/// this worker) every file is reported as not kept, with that reason.
public struct ObjectStoreArtifactSink: ArtifactSink {
    let objects: (any ObjectStore)?
    let logger: Logger
    /// How long one run's uploads may take in all: a store that answers slowly holds a
    /// worker's slot for at most this (each request also has its own timeout and retries).
    let budget: Duration
    /// Where fetched input files wait for the runner (files only this process can read).
    let spool: any UploadSpool

    public init(
        store: (any ObjectStore)?, logger: Logger = Logger(label: "cloudtask.artifacts"), budget: Duration = .seconds(300),
        spool: any UploadSpool = TemporaryFileSpool()
    ) {
        self.spool = spool
        objects = store
        self.logger = logger
        self.budget = budget
    }

    public func store(_ files: [KeptFile], job: JobID, attempt: Int) async -> [JobArtifact] {
        var records: [JobArtifact] = []
        let deadline = ContinuousClock.now + budget
        for file in files {
            switch file.content {
            case .refused(let reason):
                records.append(.missing(file.name, attempt: attempt, because: reason))
            case .copied(let path, _):
                defer { unlink(path) }
                guard let objects else {
                    records.append(
                        .missing(file.name, attempt: attempt, because: "no object storage is configured on the worker"))
                    continue
                }
                guard ContinuousClock.now < deadline else {
                    records.append(
                        .missing(file.name, attempt: attempt, because: "the object store took too long for the files before it"))
                    continue
                }
                let key = ArtifactRules.objectKey(job: job, attempt: attempt, name: file.name)
                do {
                    let stored = try await objects.put(key, file: path, contentType: "application/octet-stream")
                    records.append(.kept(file.name, attempt: attempt, size: stored.size, sha256: stored.sha256))
                } catch {
                    logger.warning(
                        "an artifact was not stored", metadata: ["job": "\(job)", "key": "\(key)", "error": "\(error)"])
                    records.append(.missing(file.name, attempt: attempt, because: Self.reason(error)))
                }
            }
        }
        return records
    }

    public func storeLogs(_ logs: [KeptFile], job: JobID, attempt: Int) async {
        for log in logs {
            guard case .copied(let path, _) = log.content else { continue }
            defer { unlink(path) }
            guard let objects else { continue }
            let key = ArtifactRules.logKey(job: job, attempt: attempt, stream: log.name)
            do {
                _ = try await objects.put(key, file: path, contentType: "text/plain")
            } catch {
                logger.warning("a full log was not stored", metadata: ["job": "\(job)", "key": "\(key)", "error": "\(error)"])
            }
        }
    }

    public func discard(_ files: [KeptFile]) {
        for case .copied(let path, _) in files.map(\.content) { unlink(path) }
    }

    public func fetch(_ inputs: [InputPlacement], maxBytes: Int64) async throws(InputFetchFailure) -> [StagedInput] {
        guard !inputs.isEmpty else { return [] }
        guard let objects else {
            throw InputFetchFailure("no object storage is configured on the worker, so it has no input files")
        }
        let deadline = ContinuousClock.now + budget
        var staged: [StagedInput] = []
        for input in inputs {
            do {
                staged.append(try await fetch(input, from: objects, maxBytes: maxBytes, deadline: deadline))
            } catch {
                await release(staged)
                logger.warning("an input file was not fetched", metadata: ["key": "\(input.key)", "error": "\(error)"])
                throw InputFetchFailure("input \(input.path) could not be fetched: \(Self.inputReason(error))")
            }
        }
        return staged
    }

    /// One input to a spool file, counted while it arrives (a store that says one size
    /// and sends more is cut off at the limit).
    private func fetch(
        _ input: InputPlacement, from objects: any ObjectStore, maxBytes: Int64, deadline: ContinuousClock.Instant
    ) async throws -> StagedInput {
        let reader = try await objects.open(input.key)
        guard reader.size <= maxBytes else { throw ObjectStoreError.tooLarge(limit: Int(maxBytes)) }
        let file = try await spool.create()
        do {
            var received: Int64 = 0
            while let chunk = try await reader.next() {
                received += Int64(chunk.count)
                guard received <= maxBytes else { throw ObjectStoreError.tooLarge(limit: Int(maxBytes)) }
                guard ContinuousClock.now < deadline else { throw FetchTimedOut() }
                try await file.append(chunk)
            }
            await file.finish()
            return StagedInput(path: input.path, source: file.path)
        } catch {
            await file.discard()
            throw error
        }
    }

    private struct FetchTimedOut: Error {}

    public func release(_ inputs: [StagedInput]) async {
        for input in inputs { unlink(input.source) }
    }

    static func inputReason(_ error: any Error) -> String {
        switch error {
        case ObjectStoreError.notFound: "the uploaded file is gone"
        case ObjectStoreError.tooLarge: "it is larger than this worker takes"
        case is FetchTimedOut: "the object store took too long"
        case is ObjectStoreError: reason(error)
        default: "the worker could not write it to its disk"
        }
    }

    /// What the job's owner may read: the kind of failure, never the store's address or
    /// credentials (the worker's log has the rest).
    static func reason(_ error: any Error) -> String {
        switch error as? ObjectStoreError {
        case .bucketMissing: "the object store has no such bucket"
        case .rejected: "the object store refused it"
        case .unavailable: "the object store was unavailable"
        case .tooLarge: "it was too large for the object store"
        case .notFound, nil: "the object store failed"
        }
    }
}
