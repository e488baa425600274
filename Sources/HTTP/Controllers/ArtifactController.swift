import Application
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Ports

/// `/jobs/{id}/artifacts*`: the files a job kept (docs/artifacts.md).
struct ArtifactController {
    let useCases: APIUseCases

    func list(_ request: Request, context: APIContext) async throws -> Response {
        let artifacts = try await useCases.artifacts.list(
            caller: try context.requireCaller(), id: try JobController.jobID(context))
        return Responses.json(ArtifactListRepresentation(artifacts: artifacts))
    }

    /// The bytes, as a download that no browser renders in the API's origin; or a
    /// redirect to a presigned URL when the deployment prefers those.
    func download(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try JobController.jobID(context)
        let name = try Self.name(context.parameters.getCatchAll())
        switch try await useCases.artifacts.download(caller: caller, id: id, name: name) {
        case .redirect(let url):
            return Response(status: .temporaryRedirect, headers: [.location: url.absoluteString, .cacheControl: "no-store"])
        case .stream(let reader, let artifact):
            let file = name.split(separator: "/").last.map(String.init) ?? "artifact"
            var headers: HTTPFields = [
                .contentType: "application/octet-stream",
                .contentDisposition: "attachment; filename*=UTF-8''\(Self.encoded(file))",
                .cacheControl: "private, no-store",
            ]
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            if let digest = artifact.sha256 { headers[HTTPField.Name("X-Checksum-Sha256")!] = digest }
            return Response(status: .ok, headers: headers, body: Self.body(reader))
        }
    }

    /// `GET /jobs/{id}/log?stream=stdout|stderr`: the whole stream, `X-Log-Complete` saying
    /// whether it is (false: only the part PostgreSQL keeps was available).
    func log(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try JobController.jobID(context)
        guard let stream = request.uri.queryParameters["stream"].map(String.init), stream == "stdout" || stream == "stderr"
        else { throw APIError.invalid(ValidationFailure(field: "stream", "must be stdout or stderr")) }
        let complete = HTTPField.Name("X-Log-Complete")!
        switch try await useCases.artifacts.log(caller: caller, id: id, stream: stream) {
        case .redirect(let url):
            return Response(status: .temporaryRedirect, headers: [.location: url.absoluteString, .cacheControl: "no-store"])
        case .full(let reader):
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", complete: "true"], body: Self.body(reader))
        case .stored(let text, let whole):
            var response = Responses.text(text)
            response.headers[complete] = whole ? "true" : "false"
            return response
        }
    }

    /// The object as the store sends it: each chunk written when the client has taken the
    /// last (the writer waits), so a slow client holds one chunk here, not the object.
    static func body(_ reader: ObjectReader) -> ResponseBody {
        let write: @Sendable (inout any ResponseBodyWriter) async throws -> Void = { writer in
            while let chunk = try await reader.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        }
        return ResponseBody(contentLength: reader.size >= 0 ? Int(reader.size) : nil, write)
    }

    /// The artifact's path from the URL's remaining segments, each percent-decoded; one
    /// that ArtifactRules refuses is a 400 (it cannot name a declared file).
    static func name(_ segments: [Substring]) throws -> String {
        let decoded = segments.map { String($0).removingPercentEncoding }
        guard !decoded.isEmpty, !decoded.contains(nil) else {
            throw APIError.invalid(ValidationFailure(field: "name", "must be a percent-encoded artifact path"))
        }
        let name = decoded.compactMap { $0 }.joined(separator: "/")
        if let problem = ArtifactRules.problem(with: name) { throw APIError.invalid(ValidationFailure(field: "name", problem)) }
        return name
    }

    /// RFC 5987 encoding for `filename*`: unreserved characters as they are, the rest as %XX.
    static func encoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || [0x2D, 0x2E, 0x5F, 0x7E].contains(byte)
            {
                out.append(Character(Unicode.Scalar(byte)))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
