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
        case emailVerified = "email_verified"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(profile.id.description, forKey: .id)
        try container.encode(profile.email.value, forKey: .email)
        try container.encode(profile.username?.value, forKey: .username)
        try container.encode(profile.role.rawValue, forKey: .role)
        try container.encode(Timestamp.format(profile.createdAt), forKey: .createdAt)
        try container.encode(profile.emailVerified, forKey: .emailVerified)
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
            json.key("artifacts")
            json.array(job.artifacts) { json, name in json.string(name) }
            json.member("attempts", job.attempts)
            json.member("command", job.command)
            json.member("created_at", Timestamp.format(job.createdAt))
            json.key("error")
            json.optional(job.failure) { json, failure in
                json.object { json in
                    json.member("code", failure.code.rawValue)
                    json.member("message", failure.message)
                }
            }
            json.member("exit_code", orNull: job.exitCode)
            json.member("finished_at", orNull: job.finishedAt.map(Timestamp.format))
            json.member("id", job.id.description)
            json.key("inputs")
            json.array(job.inputs) { json, input in
                json.object { json in
                    json.member("file", input.file.uuidString.lowercased())
                    json.member("path", input.path)
                }
            }
            json.key("limits")
            json.optional(job.limits) { json, limits in json.limits(limits) }
            json.member("max_attempts", job.maxAttempts)
            json.member("name", orNull: job.name)
            json.member("notify", job.notify)
            json.member("owner_id", job.ownerID.description)
            json.member("priority", job.priority)
            json.member("run_at", Timestamp.format(job.runAt))
            json.member("started_at", orNull: job.startedAt.map(Timestamp.format))
            json.member("status", job.status.rawValue)
            json.member("stop_requested_at", orNull: job.stopRequestedAt.map(Timestamp.format))
            json.member("timeout_seconds", job.timeoutSeconds)
            json.member("trace_id", orNull: job.trace?.traceID)
            json.member("updated_at", Timestamp.format(job.updatedAt))
            json.key("usage")
            json.optional(job.usage) { json, usage in json.usage(usage) }
        }
    }
}

/// `GET /jobs/{id}/artifacts`: each declared file of the latest finished run.
struct ArtifactListRepresentation: JSONWritable {
    let artifacts: [JobArtifact]

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("artifacts")
            json.array(artifacts) { json, artifact in
                json.object { json in
                    json.member("attempt", artifact.attempt)
                    json.member("error", orNull: artifact.error)
                    json.member("kept", artifact.isKept)
                    json.member("name", artifact.name)
                    json.member("sha256", orNull: artifact.sha256)
                    json.member("size", orNull: artifact.size.map(Int.init))
                }
            }
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
            json.member("next_cursor", orNull: nextCursor)
        }
    }
}

struct OutputRepresentation: Encodable {
    let stdout: String
    let stderr: String
    let truncated: Bool
}

/// `POST /files`: the stored file.
struct UploadedFileRepresentation: JSONWritable {
    let file: UploadedFile

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", file.id.uuidString.lowercased())
            json.member("sha256", file.sha256)
            json.member("size", Int(file.size))
        }
    }
}
