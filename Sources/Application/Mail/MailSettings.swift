public import Domain
import Foundation

/// How mail is made and retried, from configuration.
public struct MailSettings: Sendable {
    /// The base of every link in mail (`CLOUDTASK_PUBLIC_URL`), without a trailing slash.
    public let publicURL: String
    /// The name shown in messages and their From header.
    public let productName: String
    /// Attempts before a mail is dead-lettered (`CLOUDTASK_MAIL_MAX_ATTEMPTS`).
    public let maxAttempts: Int
    public let backoff: Backoff
    /// A reset link's life, counted from the request (not from sending).
    public let resetLinkSeconds: Int
    /// A confirmation link's life, counted from registration.
    public let verifyLinkSeconds: Int
    /// Whether an account must confirm its address before it can log in
    /// (`CLOUDTASK_REQUIRE_VERIFIED_EMAIL`).
    public let requireVerifiedEmail: Bool

    public init(
        publicURL: String = "http://localhost:8080", productName: String = "CloudTask", maxAttempts: Int = 8,
        backoff: Backoff = Backoff(baseSeconds: 30, capSeconds: 3600), resetLinkSeconds: Int = 1800,
        verifyLinkSeconds: Int = 172_800, requireVerifiedEmail: Bool = false
    ) {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.publicURL = base
        self.productName = productName
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.resetLinkSeconds = resetLinkSeconds
        self.verifyLinkSeconds = verifyLinkSeconds
        self.requireVerifiedEmail = requireVerifiedEmail
    }

    func link(_ fragment: String) -> String { "\(publicURL)/dashboard#/\(fragment)" }
}
