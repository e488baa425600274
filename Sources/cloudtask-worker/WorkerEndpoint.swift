import Application
import Foundation
import Hummingbird
import Infrastructure
import Logging
import Runtime
import ServiceLifecycle

/// The worker's own small HTTP endpoint (loopback by default): `/health/live`,
/// `/health/ready` (PostgreSQL, Redis and RabbitMQ, each with a short timeout; `503`
/// only when PostgreSQL does not answer, as for the API; and, for an executor, what its
/// job sandbox has and lacks) and `/metrics` (Prometheus
/// text; with `CLOUDTASK_METRICS_TOKEN` set it needs that Bearer token).
enum WorkerEndpoint {
    static func application(
        host: String, port: Int, metricsToken: String?, health: HealthChecks, sandbox: String? = nil,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health/live") { _, _ in Self.json(["status": "ok"]) }
        router.get("/health/ready") { _, _ in
            async let pg = HealthProbe.answers(health.postgres)
            async let rd = HealthProbe.answers(health.redis ?? { true })
            async let mq = HealthProbe.answers(health.rabbitmq ?? { true })
            let (p, r, m) = await (pg, rd, mq)
            let checks = ["postgres": p ? "ok" : "down", "redis": r ? "ok" : "down", "rabbitmq": m ? "ok" : "down"]
            let degraded = checks.values.contains("down")
            var answer: [String: Any] = ["status": degraded ? "degraded" : "ok", "checks": checks]
            // What boxes this worker's runs (and what it lacks): docs/isolation.md.
            if let sandbox { answer["sandbox"] = sandbox }
            return Self.json(answer, status: p ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { request, _ in
            if let metricsToken, !HealthProbe.bearerMatches(request.headers[.authorization], metricsToken) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: .init(string: ProcessMetrics.registry.exposition())))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "cloudtask-worker"),
            logger: logger)
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
    }
}

/// Runs the endpoint without letting it take the worker down: if its port is taken,
/// the worker logs that and goes on working (until it is asked to shut down).
struct NonFatalEndpoint: Service {
    let endpoint: any Service
    let logger: Logger

    func run() async throws {
        do {
            try await endpoint.run()
        } catch {
            logger.warning(
                "the worker's /health and /metrics endpoint could not start; working without it",
                metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
