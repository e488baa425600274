public import Foundation

/// A file a job's working directory starts with (docs/artifacts.md): one its owner
/// uploaded (`POST /files`), placed at `path` before the program starts.
public struct JobInput: Hashable, Sendable, Codable {
    /// The uploaded file's id.
    public let file: UUID
    /// Where it goes, relative to the working directory (the rules of `ArtifactRules`).
    public let path: String

    public init(file: UUID, path: String) {
        self.file = file
        self.path = path
    }
}

/// What a worker needs to place one input: the object to fetch and where it goes. The
/// API resolves the owner's file to its object key, so workers never look up users.
public struct InputPlacement: Hashable, Sendable, Codable {
    public let key: String
    public let path: String

    public init(key: String, path: String) {
        self.key = key
        self.path = path
    }
}

/// The rules of uploaded files and of the inputs a job names.
public enum InputRules {
    /// Inputs one job may name.
    public static let maxCount = 16

    /// Where every uploaded file's object is: `objectKey`'s first part.
    public static let uploadsPrefix = "files/"

    /// The object key of an uploaded file: under its owner, so that a job can only ever
    /// name its owner's files (the key is built from the job's owner, not sent by anyone).
    public static func objectKey(owner: UserID, file: UUID) -> String {
        "\(uploadsPrefix)\(owner)/\(file.uuidString.lowercased())"
    }

    /// Whether `key` has the shape `objectKey` gives (what a worker checks in a message).
    public static func isObjectKey(_ key: String) -> Bool {
        file(inKey: key) != nil
    }

    /// The uploaded file's id in a key of `objectKey`'s shape; nil for any other key.
    public static func file(inKey key: String) -> UUID? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] + "/" == uploadsPrefix, UUID(uuidString: String(parts[1])) != nil,
            key == key.lowercased()
        else { return nil }
        return UUID(uuidString: String(parts[2]))
    }

    /// The problems of a list of inputs, as (field, message): too many, a path that
    /// `ArtifactRules` refuses, two files at one path, or a file where another's
    /// directory must be (`a` and `a/b`).
    public static func problems(with paths: [String], field: String = "inputs") -> [(String, String)] {
        var problems: [(String, String)] = []
        if paths.count > maxCount {
            return [(field, "must have at most \(maxCount) items")]
        }
        for (index, path) in paths.enumerated() {
            if let problem = ArtifactRules.problem(with: path) {
                problems.append(("\(field)[\(index)].path", problem))
            }
        }
        guard problems.isEmpty else { return problems }
        if Set(paths).count != paths.count {
            problems.append((field, "must not place two files at one path"))
        } else if paths.contains(where: { path in paths.contains { $0.hasPrefix(path + "/") } }) {
            problems.append((field, "must not place a file where another one's directory goes"))
        }
        return problems
    }
}
