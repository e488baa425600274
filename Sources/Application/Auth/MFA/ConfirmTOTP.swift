public import Domain
import Foundation
public import Ports

/// `POST /users/me/mfa/totp/confirm`: the first code from the app turns two-factor login
/// on and yields the recovery codes, shown this once (only their hashes are kept).
public struct ConfirmTOTP: Sendable {
    let mfa: MFAComponents

    public init(mfa: MFAComponents) { self.mfa = mfa }

    public func callAsFunction(caller: AccessClaims, code: String, context: AuditContext = .none) async throws -> [String] {
        let now = mfa.clock.now()
        try await mfa.countAttempt(caller.userID, now: now)
        guard let factor = try await mfa.store.factor(of: caller.userID), !factor.isConfirmed else {
            throw UseCaseError.conflict("no enrolment is pending; start one with POST /users/me/mfa/totp")
        }
        guard let step = mfa.codes.matchingStep(code, secret: factor.secret, at: now) else {
            try await mfa.recordFailure(caller.userID, reason: "wrong_code", now: now, context: context)
            throw UseCaseError.invalid(field: "code", "is not the current code of the authenticator")
        }
        let minted = mfa.recovery.mint(count: mfa.settings.recoveryCodeCount)
        do {
            try await mfa.store.confirm(
                caller.userID, step: step, recoveryCodes: minted.map(\.hash), at: now,
                audit: AuditRecord(
                    at: now, action: .mfaEnabled, actor: caller.userID, account: caller.userID, context: context,
                    details: ["factor": "totp", "recovery_codes": String(minted.count)]))
        } catch PortError.notFound {
            throw UseCaseError.conflict("no enrolment is pending; start one with POST /users/me/mfa/totp")
        }
        return minted.map(\.code)
    }
}
