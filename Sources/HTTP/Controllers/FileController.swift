import Application
import Hummingbird
import NIOCore

/// `POST /files`: an input file for jobs (docs/artifacts.md). The body is the file's
/// bytes; it must declare its length, within the deployment's cap, so that an upload
/// that cannot be kept is refused before any of it is read. It streams to a spool file
/// and from there to object storage, never whole in memory.
struct FileController {
    let useCases: APIUseCases

    func upload(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try context.requireCaller()
        try useCases.uploadFile.check(caller: caller)
        guard let text = request.headers[.contentLength], let declared = Int64(text), declared >= 0 else {
            throw APIError.lengthRequired
        }
        let limit = useCases.uploadFile.maxBytes
        guard declared <= limit else { throw APIError.payloadTooLarge(limit: Int(limit)) }
        let chunks = request.body.map { buffer in Array(buffer.readableBytesView) }
        let file = try await useCases.uploadFile(caller: caller, declaredBytes: declared, chunks: chunks)
        return Responses.json(UploadedFileRepresentation(file: file), status: .created)
    }
}
