/// The body of `POST /api/v1/jobs`, as the API reads it and the `cloudtask` client
/// writes it: one type, so the two cannot drift. A field added here is accepted by the
/// API (its name is in `fieldNames`) and sent by the client; the API validates values in
/// Domain's `JobRequest`.
public struct JobSubmission: Codable, Sendable, Equatable {
    public var command: String
    public var args: [String]?
    public var priority: Int?
    /// RFC 3339 (e.g. `2026-12-01T09:00:00Z`).
    public var runAt: String?
    public var timeoutSeconds: Int?
    public var maxAttempts: Int?
    public var name: String?
    public var limits: Limits?
    /// Mail the owner when the job ends (default false).
    public var notify: Bool?
    /// Files to keep from the working directory when the program ends (docs/artifacts.md).
    public var artifacts: [String]?
    /// Uploaded files (`POST /files`) to place in the working directory before the
    /// program starts (docs/artifacts.md).
    public var inputs: [Input]?

    /// One of `inputs`: an uploaded file's id and where it goes.
    public struct Input: Codable, Sendable, Equatable {
        public var file: String
        public var path: String

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case file, path
        }

        public init(file: String, path: String) {
            self.file = file
            self.path = path
        }

        public init(from decoder: any Decoder) throws {
            try AnyKey.refuseUnknown(in: decoder, known: CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            file = try container.decode(String.self, forKey: .file)
            path = try container.decode(String.self, forKey: .path)
        }
    }

    /// `limits`: any of the three; one left out takes the deployment's default.
    public struct Limits: Codable, Sendable, Equatable {
        public var memoryBytes: Int?
        /// Cores, e.g. 0.5.
        public var cpu: Double?
        public var tasks: Int?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case memoryBytes = "memory_bytes"
            case cpu, tasks
        }

        public init(memoryBytes: Int? = nil, cpu: Double? = nil, tasks: Int? = nil) {
            self.memoryBytes = memoryBytes
            self.cpu = cpu
            self.tasks = tasks
        }

        public init(from decoder: any Decoder) throws {
            try AnyKey.refuseUnknown(in: decoder, known: CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            memoryBytes = try container.strictInteger(.memoryBytes)
            cpu = try container.decodeIfPresent(Double.self, forKey: .cpu)
            tasks = try container.strictInteger(.tasks)
        }
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case command, args, priority
        case runAt = "run_at"
        case timeoutSeconds = "timeout_seconds"
        case maxAttempts = "max_attempts"
        case name, limits, notify, artifacts, inputs
    }

    /// The wire names the API accepts (any other is a 400 naming it).
    public static let fieldNames = Set(CodingKeys.allCases.map(\.rawValue))

    public init(
        command: String, args: [String]? = nil, priority: Int? = nil, runAt: String? = nil, timeoutSeconds: Int? = nil,
        maxAttempts: Int? = nil, name: String? = nil, limits: Limits? = nil, notify: Bool? = nil,
        artifacts: [String]? = nil, inputs: [Input]? = nil
    ) {
        self.inputs = inputs
        self.artifacts = artifacts
        self.notify = notify
        self.limits = limits
        self.command = command
        self.args = args
        self.priority = priority
        self.runAt = runAt
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.name = name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(String.self, forKey: .command)
        args = try container.decodeIfPresent([String].self, forKey: .args)
        priority = try container.strictInteger(.priority)
        runAt = try container.decodeIfPresent(String.self, forKey: .runAt)
        timeoutSeconds = try container.strictInteger(.timeoutSeconds)
        maxAttempts = try container.strictInteger(.maxAttempts)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        limits = try container.decodeIfPresent(Limits.self, forKey: .limits)
        notify = try container.decodeIfPresent(Bool.self, forKey: .notify)
        artifacts = try container.decodeIfPresent([String].self, forKey: .artifacts)
        inputs = try container.decodeIfPresent([Input].self, forKey: .inputs)
    }
}

/// Any member name, to list an object's members.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Unknown members of a nested object are refused by name, as at the top level.
    static func refuseUnknown<Keys: CodingKey>(in decoder: any Decoder, known: Keys.Type) throws {
        let names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = names.first(where: { Keys(stringValue: $0) == nil }) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath + [AnyKey(stringValue: unknown)], debugDescription: "unknown field"))
        }
    }
}

extension KeyedDecodingContainer {
    /// An optional whole number. Foundation reports `1.5` for an `Int` without naming
    /// the field; this names it.
    public func strictInteger(_ key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let value = try? decode(Int.self, forKey: key) { return value }
        throw DecodingError.typeMismatch(
            Int.self, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "not a whole number"))
    }
}
