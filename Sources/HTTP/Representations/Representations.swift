import Application
import Domain
import Foundation

// What the API writes. Each type encodes every field, `null` included, in snake_case,
// ids lower-case and times with milliseconds (docs/api.md's conventions).

struct UserRepresentation: Encodable {
    let profile: UserProfile

    enum CodingKeys: String, CodingKey {
        case id, email, username, role
        case createdAt = "created_at"
    }

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
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case user
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

struct JobRepresentation: JSONWritable {
    let job: Job

    // Keys in sorted order, like every other response of the API.
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("args")
            json.array(job.args) { json, arg in json.string(arg) }
            json.key("attempts")
            json.int(job.attempts)
            json.key("command")
            json.string(job.command)
            json.key("created_at")
            json.string(Timestamp.format(job.createdAt))
            json.key("error")
            json.optional(job.failure) { json, failure in
                json.object { json in
                    json.key("code")
                    json.string(failure.code.rawValue)
                    json.key("message")
                    json.string(failure.message)
                }
            }
            json.key("exit_code")
            json.optional(job.exitCode) { json, code in json.int(code) }
            json.key("finished_at")
            json.optional(job.finishedAt) { json, date in json.string(Timestamp.format(date)) }
            json.key("id")
            json.string(job.id.description)
            json.key("max_attempts")
            json.int(job.maxAttempts)
            json.key("name")
            json.optional(job.name) { json, name in json.string(name) }
            json.key("owner_id")
            json.string(job.ownerID.description)
            json.key("priority")
            json.int(job.priority)
            json.key("run_at")
            json.string(Timestamp.format(job.runAt))
            json.key("started_at")
            json.optional(job.startedAt) { json, date in json.string(Timestamp.format(date)) }
            json.key("status")
            json.string(job.status.rawValue)
            json.key("stop_requested_at")
            json.optional(job.stopRequestedAt) { json, date in json.string(Timestamp.format(date)) }
            json.key("timeout_seconds")
            json.int(job.timeoutSeconds)
            json.key("updated_at")
            json.string(Timestamp.format(job.updatedAt))
        }
    }
}

struct JobListRepresentation: JSONWritable {
    let jobs: [JobRepresentation]
    let nextCursor: String?

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("jobs")
            json.array(jobs) { json, job in job.write(to: &json) }
            json.key("next_cursor")
            json.optional(nextCursor) { json, cursor in json.string(cursor) }
        }
    }
}

struct OutputRepresentation: Encodable {
    let stdout: String
    let stderr: String
    let truncated: Bool
}
