import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The tokens of each server the user logged in to, in
/// `$CLOUDTASK_CONFIG_DIR/credentials.json` (default `~/.config/cloudtask`), mode 0600.
/// Changes happen under an exclusive `flock` on a lock file beside it, and the file is
/// replaced atomically, so concurrent commands see either the old or the new tokens.
struct CredentialStore {
    struct Tokens: Codable {
        var accessToken: String
        var refreshToken: String
        /// Seconds since 1970 when the access token expires.
        var accessExpiresAt: Double
        var email: String?
    }

    let directory: URL

    init() {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["CLOUDTASK_CONFIG_DIR"], !explicit.isEmpty {
            directory = URL(fileURLWithPath: explicit)
        } else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            directory = URL(fileURLWithPath: xdg).appendingPathComponent("cloudtask")
        } else {
            directory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/cloudtask")
        }
    }

    private var file: URL { directory.appendingPathComponent("credentials.json") }

    func tokens(for server: String) -> Tokens? { readAll()[server] }

    /// Runs `body` holding the lock; what it returns replaces the server's tokens
    /// (`nil` removes them).
    func update(_ server: String, _ body: (Tokens?) async throws -> Tokens?) async throws -> Tokens? {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let lockPath = directory.appendingPathComponent("credentials.lock").path
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw CLIError(description: "cannot open \(lockPath)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw CLIError(description: "cannot lock \(lockPath)") }
        defer { flock(descriptor, LOCK_UN) }
        var all = readAll()
        let updated = try await body(all[server])
        all[server] = updated
        try write(all)
        return updated
    }

    private func readAll() -> [String: Tokens] {
        guard let data = try? Data(contentsOf: file) else { return [:] }
        return (try? JSONDecoder().decode([String: Tokens].self, from: data)) ?? [:]
    }

    private func write(_ all: [String: Tokens]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(all)
        let temporary = directory.appendingPathComponent("credentials.json.\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw CLIError(description: "cannot write \(temporary.path)")
        }
        guard rename(temporary.path, file.path) == 0 else { throw CLIError(description: "cannot replace \(file.path)") }
    }
}
