import Foundation
import Ports

#if canImport(Glibc)
    import Glibc
#endif

/// Copies the files a run asked to keep out of its working directory, after its last
/// process ended and before the runner removes the directory.
///
/// The directory is the run's own, and whatever it holds was made by the program, so
/// every name is opened as a hostile program could have left it: one component at a
/// time beneath the directory with `O_NOFOLLOW` (a symbolic link anywhere on the way,
/// to `/etc/shadow` or to the worker's configuration, is refused, never followed), the
/// file itself without blocking (a FIFO cannot hold the worker up) and then checked: a
/// regular file, owned by the run's uid (not a hard link to someone else's file), and no
/// larger than the limit, counted again while copying (a file still growing is cut off
/// there and refused). The copy goes to a directory only the worker can read.
enum KeptFileCollector {
    static let spoolName = "cloudtask-kept"

    /// Runs on a thread of its own: copying is blocking file I/O, which must not hold a
    /// thread of Swift's cooperative pool.
    static func collect(_ names: [String], from directory: String, owner: uid_t?, maxBytes: Int64, root: String) async
        -> [KeptFile]
    {
        guard !names.isEmpty else { return [] }
        // The closure throws nothing: `try?` only satisfies BlockingFileIO's signature.
        let kept = try? await BlockingFileIO.run {
            collectNow(names, from: directory, owner: owner, maxBytes: maxBytes, root: root)
        }
        return kept ?? []
    }

    /// `<root>/cloudtask-kept`, made here or earlier by this worker's user; nil when a
    /// directory of that name is anyone else's (in a shared /tmp) or open to others.
    static func spoolDirectory(root: String) -> String? {
        let spool = root + "/" + spoolName
        _ = mkdir(spool, 0o700)
        var facts = stat()
        guard lstat(spool, &facts) == 0, facts.st_mode & S_IFMT == S_IFDIR, facts.st_uid == geteuid(),
            facts.st_mode & 0o077 == 0
        else { return nil }
        return spool
    }

    static func collectNow(_ names: [String], from directory: String, owner: uid_t?, maxBytes: Int64, root: String)
        -> [KeptFile]
    {
        guard let spool = spoolDirectory(root: root) else {
            return names.map {
                KeptFile(name: $0, content: .refused("the worker could not keep it (its spool directory is not its own)"))
            }
        }
        let base = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard base >= 0 else { return names.map { KeptFile(name: $0, content: .refused("was not found")) } }
        defer { close(base) }
        return names.map { name in
            KeptFile(name: name, content: keep(name, base: base, owner: owner, maxBytes: maxBytes, spool: spool))
        }
    }

    private static func keep(_ name: String, base: Int32, owner: uid_t?, maxBytes: Int64, spool: String) -> KeptFile.Content {
        let parts = name.split(separator: "/").map(String.init)
        guard let last = parts.last, !parts.contains(where: { $0 == "." || $0 == ".." }) else {
            return .refused("is not a path inside the working directory")
        }
        var directory = dup(base)
        guard directory >= 0 else { return .refused("the worker could not keep it (\(errno))") }
        defer { close(directory) }
        for part in parts.dropLast() {
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return refusal(errno, directory: true) }
            close(directory)
            directory = next
        }
        let file = openat(directory, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard file >= 0 else { return refusal(errno, directory: false) }
        defer { close(file) }
        var facts = stat()
        guard fstat(file, &facts) == 0, facts.st_mode & S_IFMT == S_IFREG else { return .refused("is not a regular file") }
        if let owner, facts.st_uid != owner { return .refused("is not a file the run made") }
        guard Int64(facts.st_size) <= maxBytes else { return .refused("is larger than the limit of \(maxBytes) bytes") }
        return copy(file, limit: maxBytes, spool: spool)
    }

    private static func refusal(_ error: Int32, directory: Bool) -> KeptFile.Content {
        if error == ENOENT || (error == ENOTDIR && !directory) { return .refused("was not found") }
        if error == ELOOP || error == ENOTDIR {
            return .refused(
                directory
                    ? "is not inside the working directory (a symbolic link or a file on its path)"
                    : "is a symbolic link, which is not followed")
        }
        if error == EACCES { return .refused("cannot be read") }
        return .refused("cannot be opened (errno \(error))")
    }

    /// Copies at most `limit` bytes; a file that holds more by now is refused.
    private static func copy(_ file: Int32, limit: Int64, spool: String) -> KeptFile.Content {
        guard let (target, path) = TemporaryFile.make(in: spool, prefix: "kept") else {
            return .refused("the worker could not keep it (no room in its spool directory)")
        }
        let copied = DescriptorCopy.copy(from: file, to: target, limit: limit)
        close(target)
        switch copied {
        case .success(let total):
            return .copied(path: path, size: total)
        case .failure(let failure):
            unlink(path)
            switch failure {
            case .unreadable: return .refused("could not be read")
            case .tooLarge: return .refused("is larger than the limit of \(limit) bytes")
            case .noRoom: return .refused("the worker could not keep it (its disk is full)")
            }
        }
    }
}
