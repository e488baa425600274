import APIModels
import ArgumentParser
import Crypto
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET /jobs/{id}/artifacts` as the CLI reads it.
struct ArtifactListResource: Decodable {
    struct Item: Decodable {
        let name: String
        let attempt: Int
        let kept: Bool
        let size: Int?
        let sha256: String?
        let error: String?
    }

    let artifacts: [Item]
}

struct Artifacts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the files a job kept (its artifacts).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The job's id.") var id: String

    func run() async throws {
        try await reporting {
            let response = try await options.client().authorized("GET", "/api/v1/jobs/\(try JobFormat.checked(id))/artifacts")
                .expect(200)
            if options.json { return printJSON(response) }
            let list = try response.decode(ArtifactListResource.self)
            if list.artifacts.isEmpty { return print("No artifacts (none declared, or the job has not finished a run).") }
            for item in list.artifacts {
                if item.kept {
                    print("\(item.name)\t\(item.size ?? 0) bytes\tsha256 \(item.sha256 ?? "")")
                } else {
                    print("\(item.name)\tnot kept: \(item.error ?? "")")
                }
            }
        }
    }
}

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download one of a job's artifacts; its SHA-256 is checked against the server's.")
    @OptionGroup var options: GlobalOptions
    @Option(name: .shortAndLong, help: "Where to write it ('-': standard output; default: its file name, here).")
    var output: String?
    @Argument(help: "The job's id.") var id: String
    @Argument(help: "The artifact's path, as the job declared it.") var name: String

    func run() async throws {
        try await reporting {
            let path = name.split(separator: "/").map { Self.percentEncoded(String($0)) }.joined(separator: "/")
            var response = try await options.client().authorized(
                "GET", "/api/v1/jobs/\(try JobFormat.checked(id))/artifacts/\(path)")
            var expected = response.headers["x-checksum-sha256"]
            if response.status == 307, let location = response.headers["location"], let url = URL(string: location) {
                // A presigned URL of the object store: fetched without the API's token.
                let (data, answer) = try await URLSession(configuration: .ephemeral).data(from: url)
                response = APIClient.Response(status: (answer as? HTTPURLResponse)?.statusCode ?? 0, body: data)
                guard response.status == 200 else {
                    throw CLIError(description: "the object store answered \(response.status) for the download link")
                }
                expected = nil
            } else {
                response = try response.expect(200)
            }
            let digest = SHA256.hash(data: response.body).hex
            if let expected, expected != digest {
                throw CLIError(description: "the download does not match its SHA-256 (\(expected)); nothing was written")
            }
            let target = output ?? String(name.split(separator: "/").last ?? "artifact")
            if target == "-" {
                FileHandle.standardOutput.write(response.body)
                return
            }
            guard FileManager.default.createFile(atPath: target, contents: response.body) else {
                throw CLIError(description: "cannot write \(target)")
            }
            print("Wrote \(target) (\(response.body.count) bytes, sha256 \(digest))")
        }
    }

    /// A path segment with everything but unreserved characters percent-encoded.
    static func percentEncoded(_ segment: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
