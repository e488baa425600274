import Foundation
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

    /// The page, with the trace viewer's link template in its `cloudtask-trace-url` meta
    /// element (no inline script may carry it). Made once.
    let page: [UInt8]

    init(traceUIURL: String? = nil) {
        page = Self.page(traceUIURL: traceUIURL)
    }

    /// `index.html` with `content=""` of the trace meta element filled in. The template
    /// was checked at start-up (no quote, no angle bracket); it is escaped all the same.
    static func page(traceUIURL: String?) -> [UInt8] {
        guard let traceUIURL else { return PackageResources.index_html }
        let html = String(decoding: PackageResources.index_html, as: UTF8.self)
        let escaped = traceUIURL.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return Array(
            html.replacingOccurrences(
                of: #"<meta name="cloudtask-trace-url" content="">"#,
                with: #"<meta name="cloudtask-trace-url" content=""# + escaped + #"">"#
            ).utf8)
    }

    func page(_ request: Request, context: APIContext) -> Response {
        Self.file(page, type: "text/html; charset=utf-8")
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
