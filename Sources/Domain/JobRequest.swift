public import Foundation

/// The limits a submitted command line must respect. They bound what a job costs to
/// store and to ship through the queue.
public enum JobLimits {
    public static let maxArguments = 64
    public static let maxArgumentBytes = 4 * 1024
    public static let maxTotalArgumentBytes = 64 * 1024
    public static let maxCommandBytes = 255
    public static let priorities = 0...9
    public static let timeoutSeconds = 1...3600
    public static let attempts = 1...10
    public static let defaultTimeoutSeconds = 300
    public static let defaultMaxAttempts = 1
    public static let defaultPriority = 0
    /// A job's name: 1 to 128 characters.
    public static let nameCharacters = 1...128
}

/// A validated job submission, with every default applied. Two requests are "the
/// same" for `Idempotency-Key` purposes when their `JobRequest`s are equal, so a client
/// that spells a default out and one that omits it make the same request.
public struct JobRequest: Hashable, Sendable, Codable {
    public let command: String
    public let args: [String]
    public let priority: Int
    /// `nil` means "as soon as possible".
    public let runAt: Date?
    public let timeoutSeconds: Int
    public let maxAttempts: Int
    /// What the owner calls the job; `nil`: no name.
    public let name: String?
    /// The limits asked for (each run's cgroup); `nil`: the deployment's defaults.
    public let limits: LimitRequest?
    /// Mail the owner when the job ends.
    public let notify: Bool
    /// Files to keep from the working directory when the program ends (ArtifactRules).
    public let artifacts: [String]
    /// Uploaded files placed in the working directory before the program starts.
    public let inputs: [JobInput]

    public init(
        command: String, args: [String] = [], priority: Int? = nil, runAt: Date? = nil,
        timeoutSeconds: Int? = nil, maxAttempts: Int? = nil, name: String? = nil, limits: LimitRequest? = nil,
        notify: Bool = false, artifacts: [String] = [], inputs: [JobInput] = []
    ) throws(ValidationFailure) {
        self.notify = notify
        self.artifacts = artifacts
        self.inputs = inputs
        var problems = ValidationCollector()
        for (field, message) in InputRules.problems(with: inputs.map(\.path)) { problems.add(field, message) }
        if artifacts.count > ArtifactRules.maxCount {
            problems.add("artifacts", "must have at most \(ArtifactRules.maxCount) items")
        } else if Set(artifacts).count != artifacts.count {
            problems.add("artifacts", "must not name a file twice")
        }
        for (index, path) in artifacts.enumerated().prefix(ArtifactRules.maxCount) {
            if let problem = ArtifactRules.problem(with: path) { problems.add("artifacts[\(index)]", problem) }
        }
        if command.isEmpty || command.utf8.count > JobLimits.maxCommandBytes {
            problems.add("command", "must be 1 to \(JobLimits.maxCommandBytes) bytes")
        } else if command.containsNUL {
            problems.add("command", "must not contain NUL characters")
        } else if command.contains("/") {
            problems.add("command", "must be a program name, not a path")
        }
        if args.count > JobLimits.maxArguments {
            problems.add("args", "must have at most \(JobLimits.maxArguments) items")
        }
        if let index = args.firstIndex(where: { $0.utf8.count > JobLimits.maxArgumentBytes }) {
            problems.add("args[\(index)]", "must be at most \(JobLimits.maxArgumentBytes) bytes")
        }
        if args.reduce(0, { $0 + $1.utf8.count }) > JobLimits.maxTotalArgumentBytes {
            problems.add("args", "must be at most \(JobLimits.maxTotalArgumentBytes) bytes in all")
        }
        if let index = args.firstIndex(where: \.containsNUL) {
            problems.add("args[\(index)]", "must not contain NUL characters")
        }
        let priority = priority ?? JobLimits.defaultPriority
        if !JobLimits.priorities.contains(priority) { problems.add("priority", "must be 0 to 9") }
        let timeout = timeoutSeconds ?? JobLimits.defaultTimeoutSeconds
        if !JobLimits.timeoutSeconds.contains(timeout) { problems.add("timeout_seconds", "must be 1 to 3600") }
        let attempts = maxAttempts ?? JobLimits.defaultMaxAttempts
        if !JobLimits.attempts.contains(attempts) { problems.add("max_attempts", "must be 1 to 10") }
        if let name {
            if !JobLimits.nameCharacters.contains(name.count) {
                problems.add("name", "must be 1 to \(JobLimits.nameCharacters.upperBound) characters")
            } else if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.add("name", "must not contain control characters")
            }
        }
        for (field, message) in limits?.outOfRange ?? [] { problems.add(field, message) }
        try problems.throwIfAny()

        self.limits = limits
        self.command = command
        self.args = args
        self.priority = priority
        // Stored times keep millisecond precision, as the API writes them.
        self.runAt = runAt.map(Date.truncatedToMilliseconds)
        self.timeoutSeconds = timeout
        self.maxAttempts = attempts
        self.name = name
    }
}

extension Date {
    /// The latest time the API reads or writes: 9999-12-31T23:59:59.999Z (four-digit
    /// years), in milliseconds since 1970. Anything a client sends is checked against it
    /// before it is converted to an integer.
    public static let latestMilliseconds: Int64 = 253_402_300_799_999

    /// The one rounding rule for writing a time: to the nearest millisecond. A stored
    /// time comes back from PostgreSQL up to a microsecond off (its driver truncates
    /// when it encodes); rounding to the nearest, never down, makes both read the same.
    public var wholeMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The API's times carry milliseconds; storing more would make a round trip unequal.
    public static func truncatedToMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
