/// The files a job keeps (docs/artifacts.md): paths relative to its working directory,
/// declared at submission, uploaded by the worker when the program ends.
public enum ArtifactRules {
    /// Files one job may declare.
    public static let maxCount = 16
    /// Bytes of one declared path.
    public static let maxPathBytes = 255

    /// Why `path` cannot be declared, or nil when it can. A path is `/`-separated, relative,
    /// with no empty, `.` or `..` part and no control character: it names a file inside the
    /// working directory and nothing else, and it is safe in a URL path and an object key.
    public static func problem(with path: String) -> String? {
        if path.isEmpty || path.utf8.count > maxPathBytes { return "must be 1 to \(maxPathBytes) bytes" }
        if path.hasPrefix("/") { return "must be relative to the job's working directory" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "must not contain control characters"
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "must not have empty, '.' or '..' parts"
        }
        return nil
    }

    /// The object key of a job's artifact from one attempt: attempts never overwrite each
    /// other, and retention removes everything of a job under `jobs/<id>/`.
    public static func objectKey(job: JobID, attempt: Int, name: String) -> String {
        "\(jobPrefix(job))\(attempt)/artifacts/\(name)"
    }

    /// The object key of the full log of one stream (`stdout`, `stderr`) of one attempt,
    /// kept when the stream passed the cap of what PostgreSQL keeps.
    public static func logKey(job: JobID, attempt: Int, stream: String) -> String {
        "\(jobPrefix(job))\(attempt)/log/\(stream)"
    }

    /// Every object of a job starts with this.
    public static func jobPrefix(_ job: JobID) -> String { "jobs/\(job)/" }
}

/// One declared file of a job's last run: kept (size and SHA-256 of what was stored) or
/// not (why not: missing, not a regular file, too large, the store failing).
public struct JobArtifact: Hashable, Sendable, Codable {
    public let name: String
    /// The attempt whose run left it.
    public let attempt: Int
    public let size: Int64?
    /// Lowercase hex.
    public let sha256: String?
    /// Why the file was not kept; nil when it was.
    public let error: String?

    public init(name: String, attempt: Int, size: Int64?, sha256: String?, error: String?) {
        self.name = name
        self.attempt = attempt
        self.size = size
        self.sha256 = sha256
        self.error = error
    }

    public static func kept(_ name: String, attempt: Int, size: Int64, sha256: String) -> JobArtifact {
        JobArtifact(name: name, attempt: attempt, size: size, sha256: sha256, error: nil)
    }

    public static func missing(_ name: String, attempt: Int, because error: String) -> JobArtifact {
        JobArtifact(name: name, attempt: attempt, size: nil, sha256: nil, error: error)
    }

    public var isKept: Bool { error == nil }
}
