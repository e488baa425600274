// What the API reads. Field names are the wire names; `JSONBody` refuses any other.

struct RegisterRequest: Decodable {
    let email: String
    let password: String
    let username: String?
    static let fields: Set<String> = ["email", "password", "username"]
}

struct LoginRequest: Decodable {
    let email: String
    let password: String
    static let fields: Set<String> = ["email", "password"]
}

struct RefreshRequest: Decodable {
    let refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    static let fields: Set<String> = ["refresh_token"]
}

struct LogoutRequest: Decodable {
    let refreshToken: String?
    let all: Bool?
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token", all }
    static let fields: Set<String> = ["refresh_token", "all"]
}

struct ChangePasswordRequest: Decodable {
    let currentPassword: String
    let newPassword: String
    enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
    static let fields: Set<String> = ["current_password", "new_password"]
}

struct CreateJobRequest: Decodable {
    let command: String
    let args: [String]?
    let priority: Int?
    let runAt: String?
    let timeoutSeconds: Int?
    let maxAttempts: Int?
    enum CodingKeys: String, CodingKey {
        case command, args, priority, runAt = "run_at", timeoutSeconds = "timeout_seconds", maxAttempts = "max_attempts"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(String.self, forKey: .command)
        args = try container.decodeIfPresent([String].self, forKey: .args)
        priority = try container.strictInteger(.priority)
        runAt = try container.decodeIfPresent(String.self, forKey: .runAt)
        timeoutSeconds = try container.strictInteger(.timeoutSeconds)
        maxAttempts = try container.strictInteger(.maxAttempts)
    }

    static let fields: Set<String> = ["command", "args", "priority", "run_at", "timeout_seconds", "max_attempts"]
}

extension KeyedDecodingContainer {
    /// An optional whole number. Foundation reports `1.5` for an `Int` without naming
    /// the field; this names it.
    func strictInteger(_ key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let value = try? decode(Int.self, forKey: key) { return value }
        throw DecodingError.typeMismatch(Int.self, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "not a whole number"))
    }
}
