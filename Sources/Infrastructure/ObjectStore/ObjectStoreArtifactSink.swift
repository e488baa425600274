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

    public init(
        store: (any ObjectStore)?, logger: Logger = Logger(label: "cloudtask.artifacts"), budget: Duration = .seconds(300)
    ) {
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
