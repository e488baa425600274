import Application
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost layer: gives every request its id and client address, turns every
/// error into problem details (through `ProblemMapping`, the one mapping), and puts
/// the request id, the security headers and `Cache-Control` on every response.
struct EnvelopeMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let trustedProxies: [CIDR]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws
        -> Response
    {
        var context = context
        context.requestID = Self.acceptableRequestID(request.headers[.xRequestID]) ?? UUID().uuidString.lowercased()
        context.clientAddress = ClientAddress.resolve(
            peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor], trusted: trustedProxies)
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let extraHeaders = ResponseHeaderBag()
        context.extraHeaders = extraHeaders

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.problemResponse(for: error, request: request, context: context)
        }
        extraHeaders.apply(to: &response.headers)
        response.headers[.xRequestID] = context.requestID
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        let bearer = request.headers[.authorization].map { $0.lowercased().hasPrefix("bearer ") } ?? false
        if bearer || request.uri.path.hasPrefix("/api/v1/auth/") {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }

    static func problemResponse(for error: any Error, request: Request, context: APIContext) -> Response {
        let problem = ProblemMapping.problem(for: error)
        if problem.status.code >= 500 {
            context.logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
        }
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        let body = problem.body(instance: request.uri.path, requestID: context.requestID)
        return Response(status: problem.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// 1 to 128 characters of `[A-Za-z0-9._-]`; anything else is replaced.
    static func acceptableRequestID(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count) else { return nil }
        let valid = value.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 46 || byte == 95
                || byte == 45
        }
        return valid ? value : nil
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let rateLimit = Self("RateLimit")!
    static let idempotencyKey = Self("Idempotency-Key")!
}
