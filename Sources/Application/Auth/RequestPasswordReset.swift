public import Domain
import Foundation
public import Ports

/// `POST /auth/password-reset`: records the request in the audit trail, which queues the
/// mail with the link (`PlanAccountMail`). It answers the same whether or not the
/// address has an account, and does the same work either way (one lookup, one entry),
/// so neither the answer nor its timing tells. No request waits on mail.
public struct RequestPasswordReset: Sendable {
    let users: any UserRepository
    let audit: any AuditTrail
    let limiter: any RateLimiter
    let perEmail: RateLimitPolicy?
    let clock: any WallClock

    public init(
        users: any UserRepository, audit: any AuditTrail, limiter: any RateLimiter, perEmail: RateLimitPolicy?,
        clock: any WallClock
    ) {
        self.users = users
        self.audit = audit
        self.limiter = limiter
        self.perEmail = perEmail
        self.clock = clock
    }

    public func callAsFunction(email rawEmail: String, context: AuditContext = .none) async throws {
        // A malformed address cannot have an account: the same silent answer.
        guard let email = try? Email(rawEmail) else { return }
        let now = clock.now()
        if let perEmail {
            let decision = try await limiter.check(perEmail, key: "reset:\(email.value)", now: now)
            guard decision.allowed else { return }
        }
        let user = try await users.user(email: email)
        try await audit.append(
            AuditRecord(
                at: now, action: .passwordResetRequested, outcome: user == nil ? .failure : .success, actor: nil,
                account: user?.id, context: context,
                details: user == nil ? ["reason": "unknown_account", "email": email.value] : [:]))
    }
}
