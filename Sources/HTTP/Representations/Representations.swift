import Application
import Domain
import Foundation

// What the API writes. Each type encodes every field, `null` included, in snake_case,
// ids lower-case and times with milliseconds (API.md's conventions).

struct UserRepresentation: Encodable {
    let profile: UserProfile

    enum CodingKeys: String, CodingKey { case id, email, username, role, createdAt = "created_at" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(profile.id.description, forKey: .id)
        try container.encode(profile.email.value, forKey: .email)
        try container.encode(profile.username?.value, forKey: .username)
        try container.encode(profile.role.rawValue, forKey: .role)
        try container.encode(Timestamp.format(profile.createdAt), forKey: .createdAt)
    }
}

struct TokenRepresentation: Encodable {
    let tokens: IssuedTokens

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type", expiresIn = "expires_in", user
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens.accessToken, forKey: .accessToken)
        try container.encode(tokens.refreshToken, forKey: .refreshToken)
        try container.encode("Bearer", forKey: .tokenType)
        try container.encode(tokens.expiresIn, forKey: .expiresIn)
        try container.encode(UserRepresentation(profile: UserProfile(tokens.user)), forKey: .user)
    }
}

struct JobRepresentation: Encodable {
    let job: Job

    enum CodingKeys: String, CodingKey {
        case id, ownerID = "owner_id", status, command, args, priority, timeoutSeconds = "timeout_seconds"
        case maxAttempts = "max_attempts", attempts, runAt = "run_at", createdAt = "created_at", updatedAt = "updated_at"
        case startedAt = "started_at", finishedAt = "finished_at", stopRequestedAt = "stop_requested_at"
        case exitCode = "exit_code", error
    }

    struct Failure: Encodable {
        let code: String
        let message: String
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.id.description, forKey: .id)
        try container.encode(job.ownerID.description, forKey: .ownerID)
        try container.encode(job.status.rawValue, forKey: .status)
        try container.encode(job.command, forKey: .command)
        try container.encode(job.args, forKey: .args)
        try container.encode(job.priority, forKey: .priority)
        try container.encode(job.timeoutSeconds, forKey: .timeoutSeconds)
        try container.encode(job.maxAttempts, forKey: .maxAttempts)
        try container.encode(job.attempts, forKey: .attempts)
        try container.encode(Timestamp.format(job.runAt), forKey: .runAt)
        try container.encode(Timestamp.format(job.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(job.updatedAt), forKey: .updatedAt)
        try container.encode(job.startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(job.finishedAt.map(Timestamp.format), forKey: .finishedAt)
        try container.encode(job.stopRequestedAt.map(Timestamp.format), forKey: .stopRequestedAt)
        try container.encode(job.exitCode, forKey: .exitCode)
        try container.encode(job.failure.map { Failure(code: $0.code.rawValue, message: $0.message) }, forKey: .error)
    }
}

struct JobListRepresentation: Encodable {
    let jobs: [JobRepresentation]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey { case jobs, nextCursor = "next_cursor" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

struct OutputRepresentation: Encodable {
    let stdout: String
    let stderr: String
    let truncated: Bool
}
