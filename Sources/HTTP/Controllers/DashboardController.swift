import HTTPTypes
import Hummingbird
import NIOCore

/// `/dashboard`: the web dashboard, four static files compiled into the binary (no
/// CDN, no build step). Every response carries a strict Content-Security-Policy: scripts
/// and styles only from these files, no inline script, no framing, requests only to
/// this origin.
struct DashboardController {
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
        "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func page(_ request: Request, context: APIContext) -> Response {
        Self.file(PackageResources.index_html, type: "text/html; charset=utf-8")
    }

    func script(_ request: Request, context: APIContext) -> Response {
        Self.file(PackageResources.app_js, type: "text/javascript; charset=utf-8")
    }

    /// The account's pages (its security events; for admins, everyone's).
    func accountScript(_ request: Request, context: APIContext) -> Response {
        Self.file(PackageResources.account_js, type: "text/javascript; charset=utf-8")
    }

    func styles(_ request: Request, context: APIContext) -> Response {
        Self.file(PackageResources.style_css, type: "text/css; charset=utf-8")
    }

    private static func file(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-cache",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
