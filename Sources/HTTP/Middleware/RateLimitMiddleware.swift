import Application
import CoreMetrics
import Domain
import Foundation
import Hummingbird
import Ports

/// Counts the request against each policy that applies and refuses it (429) when any
/// is exhausted: the public `/auth/*` routes, limited per client address. Authenticated
/// routes are counted by `AuthenticationMiddleware`, in the same round trip as the
/// revocation check.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let limiter: any RateLimiter
    let clock: any WallClock
    /// The policies for this request, with the key each counts by; empty: not limited.
    let policies: @Sendable (Request, APIContext) -> [RateLimitCheck]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        let applicable = policies(request, context)
        guard !applicable.isEmpty else { return try await next(request, context) }
        let now = clock.now()
        var decisions: [RateLimitDecision] = []
        for check in applicable {
            decisions.append(try await limiter.check(check.policy, key: check.key, now: now))
        }
        try RateLimitHeaders.apply(decisions, to: context)
        return try await next(request, context)
    }
}

/// The `RateLimit*` headers of docs/api.md, in both forms, describing the policy with the
/// least remaining; and the 429 when any decision refused.
enum RateLimitHeaders {
    static func apply(_ decisions: [RateLimitDecision], to context: APIContext) throws {
        guard let shown = decisions.min(by: { ($0.allowed ? 1 : 0, $0.remaining) < ($1.allowed ? 1 : 0, $1.remaining) }) else {
            return
        }
        let headers = context.extraHeaders
        // A later check (the login's per-account count) only replaces the headers of an
        // earlier one when it has less left, or refuses: they describe the tightest.
        let earlier = headers.value(.rateLimitRemaining).flatMap { Int($0) }
        if let earlier, shown.allowed, earlier <= shown.remaining { return }
        headers.set(.rateLimitLimit, String(shown.policy.limit))
        headers.set(.rateLimitRemaining, String(shown.remaining))
        headers.set(.rateLimitReset, String(shown.resetSeconds))
        headers.set(.rateLimitPolicy, "\"\(shown.policy.name)\";q=\(shown.policy.limit);w=\(shown.policy.windowSeconds)")
        headers.set(.rateLimit, "\"\(shown.policy.name)\";r=\(shown.remaining);t=\(shown.resetSeconds)")
        if let refused = decisions.filter({ !$0.allowed }).max(by: { ($0.retryAfterSeconds ?? 1) < ($1.retryAfterSeconds ?? 1) })
        {
            Counter(label: MetricNames.rateLimitRejections, dimensions: [("policy", refused.policy.name)]).increment()
            throw APIError.rateLimited(retryAfter: refused.retryAfterSeconds ?? 1)
        }
    }
}
