public import Foundation

/// Time-based one-time codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps).
public protocol OneTimeCodes: Sendable {
    func newSecret() -> TOTPSecret
    /// The step a code was made for, if it is the code of the step at `now` or of the one
    /// just before or after (clocks drift); nil otherwise.
    func matchingStep(_ code: String, secret: TOTPSecret, at now: Date) -> Int64?
    /// The code of the step at `date` (for tests and clients of this server).
    func code(secret: TOTPSecret, at date: Date) -> String
    /// `otpauth://totp/…`: what an authenticator app reads from the QR code.
    func provisioningURI(secret: TOTPSecret, account: String, issuer: String) -> String
    /// The secret as an authenticator app takes it typed in (base32, no padding).
    func displayed(_ secret: TOTPSecret) -> String
}

/// One-time recovery codes: shown once, stored as keyed hashes.
public protocol RecoveryCodeMinter: Sendable {
    func mint(count: Int) -> [(code: String, hash: RecoveryCodeHash)]
    /// The stored hash of what a user typed (case, spaces and hyphens ignored); nil when
    /// it cannot be a recovery code.
    func hash(_ code: String) -> RecoveryCodeHash?
}

/// Draws a QR code as SVG.
public protocol QRCodeRenderer: Sendable {
    /// Nil when the text does not fit in a QR code.
    func svg(_ text: String) -> String?
}
