import Application
import Domain
import Foundation
import Hummingbird
import Ports

/// `/admin/*`: what an operator looks at.
struct AdminController {
    let useCases: APIUseCases

    /// `GET /admin/overview`: jobs by status, jobs finished per minute over the last
    /// half hour, the outbox's lag, and the workers seen in the last 30 seconds.
    func overview(_ request: Request, context: APIContext) async throws -> Response {
        let overview = try await useCases.overview(caller: try context.requireCaller())
        return try Responses.json(OverviewRepresentation(overview))
    }
}

/// The overview's JSON (snake_case keys, every status present).
struct OverviewRepresentation: Encodable {
    struct Minute: Encodable {
        let minute: String
        let succeeded: Int
        let failed: Int
        let cancelled: Int
    }

    struct Outbox: Encodable {
        let backlog: Int
        let oldestAgeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case backlog
            case oldestAgeSeconds = "oldest_age_seconds"
        }
    }

    struct Worker: Encodable {
        let id: String
        let host: String
        let roles: [String]
        let concurrency: Int
        let running: Int
        let startedAt: String
        let seenAt: String

        enum CodingKeys: String, CodingKey {
            case id, host, roles, concurrency, running
            case startedAt = "started_at"
            case seenAt = "seen_at"
        }
    }

    let generatedAt: String
    let jobsByStatus: [String: Int]
    let finishedPerMinute: [Minute]
    let outbox: Outbox
    /// `null` when the registry could not be read: unknown, not "no workers".
    let workers: [Worker]?

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case jobsByStatus = "jobs_by_status"
        case finishedPerMinute = "finished_per_minute"
        case outbox, workers
    }

    init(_ overview: GetOverview.Overview) {
        generatedAt = Timestamp.format(overview.generatedAt)
        jobsByStatus = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0.rawValue, overview.jobsByStatus[$0] ?? 0) })
        finishedPerMinute = overview.finishedPerMinute.map {
            Minute(
                minute: Timestamp.format($0.minute), succeeded: $0.counts[.succeeded] ?? 0, failed: $0.counts[.failed] ?? 0,
                cancelled: $0.counts[.cancelled] ?? 0)
        }
        outbox = Outbox(
            backlog: overview.outboxBacklog, oldestAgeSeconds: (overview.outboxOldestAgeSeconds * 1000).rounded() / 1000)
        workers = overview.workers?.map {
            Worker(
                id: $0.workerID, host: $0.host, roles: $0.roles, concurrency: $0.concurrency, running: $0.running,
                startedAt: Timestamp.format($0.startedAt), seenAt: Timestamp.format($0.seenAt))
        }
    }
}
