import Domain
public import Hummingbird
import Logging
import NIOCore
public import Ports

/// Per-request state the middleware fills in for the handlers.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address as the socket reports it (nil when there is no socket, in tests).
    public let peerAddress: String?
    /// The connection, for a live stream whose client stopped reading (it is closed).
    let channel: (any Channel)?
    /// `X-Request-ID`: echoed when the client sent a valid one, made up otherwise.
    public var requestID: String = ""
    /// The authenticated caller, on protected routes.
    public var caller: AccessClaims?
    /// A cache entry read along with the authentication (see `AuthenticationMiddleware`).
    public var readAhead: CacheReadAhead?
    /// The client's address after trusted-proxy resolution.
    public var clientAddress: String = "unknown"
    /// Headers for the response whatever it is (set by the envelope, filled inside).
    var extraHeaders = ResponseHeaderBag()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
        channel = source.channel
    }

    /// Hummingbird's own limit is not relied on: `BodyLimitMiddleware` enforces the
    /// configured one on every route, read or not.
    public var maxUploadSize: Int { Int.max }

    /// Where the request came from, for the audit trail.
    var audit: AuditContext { AuditContext(clientAddress: clientAddress, requestID: requestID) }

    /// The caller on a protected route. Reaching here without one is a wiring bug.
    func requireCaller() throws -> AccessClaims {
        guard let caller else { throw APIError.unauthenticated }
        return caller
    }
}
