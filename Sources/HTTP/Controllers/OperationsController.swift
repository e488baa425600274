import Application
import Foundation
import Hummingbird

/// `/health/*`, `/metrics`, `/openapi.json`.
struct OperationsController {
    let health: HealthChecks
    let metricsToken: String?
    let exportMetrics: @Sendable () -> String

    func live(_ request: Request, context: APIContext) async throws -> Response {
        try Responses.json(["status": "ok"])
    }

    func ready(_ request: Request, context: APIContext) async throws -> Response {
        async let postgres = Self.run(health.postgres)
        async let redis = Self.run(health.redis)
        async let rabbitmq = Self.run(health.rabbitmq)
        let (pgResult, rd, mq) = await (postgres, redis, rabbitmq)
        let pg = pgResult ?? false
        var checks = ["postgres": pg ? "ok" : "down"]
        if let rd { checks["redis"] = rd ? "ok" : "down" }
        if let mq { checks["rabbitmq"] = mq ? "ok" : "down" }
        let degraded = checks.values.contains("down")
        struct Body: Encodable {
            let status: String
            let checks: [String: String]
        }
        return try Responses.json(
            Body(status: degraded ? "degraded" : "ok", checks: checks),
            status: pg ? .ok : .serviceUnavailable)
    }

    /// Runs a check with a short timeout: a hung dependency reads as down.
    private static func run(_ check: HealthChecks.Check?) async -> Bool? {
        guard let check else { return nil }
        return await HealthProbe.answers(check)
    }

    func metrics(_ request: Request, context: APIContext) async throws -> Response {
        if let metricsToken {
            guard HealthProbe.bearerMatches(request.headers[.authorization], metricsToken) else {
                throw APIError.metricsUnauthorized
            }
        }
        return Responses.text(exportMetrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    func openAPI(_ request: Request, context: APIContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
    }
}
