import Domain
import Foundation
public import Ports

/// `POST /users/me/mfa/totp`: a new authenticator secret for the caller, pending until a
/// first code confirms it. Asking again starts over (a lost QR code is no dead end);
/// once confirmed, the authenticator must be disabled before another is enrolled.
public struct EnrolTOTP: Sendable {
    let mfa: MFAComponents
    let users: any UserRepository

    public init(mfa: MFAComponents, users: any UserRepository) {
        self.mfa = mfa
        self.users = users
    }

    public struct Enrolment: Sendable {
        /// Base32, for typing into an app.
        public let secret: String
        public let uri: String
        public let qrSVG: String
    }

    public func callAsFunction(caller: AccessClaims) async throws -> Enrolment {
        guard mfa.settings.available else {
            throw UseCaseError.unprocessable("two-factor login is not configured on this server (CLOUDTASK_MFA_KEY)")
        }
        guard let user = try await users.user(id: caller.userID) else { throw UseCaseError.unauthenticated }
        let secret = mfa.codes.newSecret()
        do {
            try await mfa.store.beginEnrolment(user.id, secret: secret, at: mfa.clock.now())
        } catch PortError.duplicate {
            throw UseCaseError.conflict("two-factor login is already on; disable it first")
        }
        let uri = mfa.codes.provisioningURI(secret: secret, account: user.email.value, issuer: mfa.settings.issuer)
        guard let svg = mfa.qr.svg(uri) else { throw UseCaseError.unprocessable("the enrolment does not fit a QR code") }
        return Enrolment(secret: mfa.codes.displayed(secret), uri: uri, qrSVG: svg)
    }
}
