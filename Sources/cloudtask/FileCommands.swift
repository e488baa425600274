import APIModels
import ArgumentParser
import Crypto
import Foundation

/// Input files from the command line: `cloudtask upload FILE`, and the uploads that
/// `start --input LOCAL:PATH` makes before it submits.
enum FileUpload {
    /// Uploads a local file, streamed from disk, and checks the server's SHA-256
    /// against the one computed here (a file that changed while it was sent is caught).
    static func send(_ local: String, with client: APIClient) async throws -> UploadedFileResource {
        let url = URL(fileURLWithPath: local)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: local)
        } catch {
            throw CLIError(description: "cannot read \(local)")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? Int64 else {
            throw CLIError(description: "\(local) is not a regular file")
        }
        let digest = try digest(of: local)
        let uploaded = try await client.upload("/api/v1/files", file: url, size: size).expect(201)
            .decode(UploadedFileResource.self)
        guard uploaded.sha256 == digest, uploaded.size == size else {
            throw CLIError(description: "\(local) changed while it was uploaded (the server's SHA-256 differs); try again")
        }
        return uploaded
    }

    /// SHA-256 of a file, read 1 MiB at a time.
    static func digest(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError(description: "cannot read \(path)") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().hex
    }

    /// `--input` values: `ID:PATH` names an uploaded file; `LOCAL:PATH` (anything before
    /// the first colon that is not a file id) uploads that local file first.
    static func inputs(_ values: [String], with client: @autoclosure () throws -> APIClient) async throws
        -> [JobSubmission.Input]
    {
        var inputs: [JobSubmission.Input] = []
        for value in values {
            guard let colon = value.firstIndex(of: ":"), colon != value.startIndex, value.index(after: colon) != value.endIndex
            else {
                throw CLIError(
                    description: "--input must be FILE:PATH (an uploaded file's id or a local file, then where it goes)")
            }
            let source = String(value[..<colon])
            let path = String(value[value.index(after: colon)...])
            if UUID(uuidString: source) != nil, !FileManager.default.fileExists(atPath: source) {
                inputs.append(.init(file: source.lowercased(), path: path))
            } else {
                inputs.append(.init(file: try await send(source, with: try client()).id, path: path))
            }
        }
        return inputs
    }
}

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a file for jobs to start with; prints its id (name it with start --input ID:PATH).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The local file.") var file: String

    func run() async throws {
        try await reporting {
            let uploaded = try await FileUpload.send(file, with: try options.client())
            if options.json {
                let data = try JSONEncoder().encode(uploaded)
                return print(String(decoding: data, as: UTF8.self))
            }
            print("Uploaded \(file) as \(uploaded.id) (\(uploaded.size) bytes, sha256 \(uploaded.sha256))")
        }
    }
}
