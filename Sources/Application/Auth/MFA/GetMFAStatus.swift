import Domain
import Foundation
public import Ports

/// `GET /users/me/mfa`: whether two-factor login is on, pending, and how many recovery
/// codes are left.
public struct GetMFAStatus: Sendable {
    let mfa: MFAComponents

    public init(mfa: MFAComponents) { self.mfa = mfa }

    public struct Status: Sendable, Equatable {
        public let available: Bool
        public let enabled: Bool
        public let pending: Bool
        public let recoveryCodesLeft: Int
    }

    public func callAsFunction(caller: AccessClaims) async throws -> Status {
        let factor = try await mfa.store.factor(of: caller.userID)
        let left = factor?.isConfirmed == true ? try await mfa.store.unusedRecoveryCodes(of: caller.userID) : 0
        return Status(
            available: mfa.settings.available, enabled: factor?.isConfirmed == true,
            pending: factor.map { !$0.isConfirmed } ?? false, recoveryCodesLeft: left)
    }
}
