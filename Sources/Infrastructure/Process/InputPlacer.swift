import Foundation
import Ports

#if canImport(Glibc)
    import Glibc
#endif

/// Places a run's input files in its fresh working directory before the program starts,
/// each owned by the run's user (mode 0644; directories on the way 0755).
///
/// Nothing of the run exists yet, but without a sandbox the job user is shared by every
/// run, and a process an earlier run left behind could race to plant a symbolic link.
/// So every name is made beneath the directory one component at a time, never followed:
/// `mkdirat` then `openat(O_DIRECTORY | O_NOFOLLOW)` for each directory, and the file
/// itself `O_CREAT | O_EXCL | O_NOFOLLOW` (a name already there is refused).
enum InputPlacer {
    /// Why an input could not be placed, or nil when all were. Runs on a thread of its
    /// own: copying is blocking file I/O.
    static func place(_ inputs: [StagedInput], into directory: String, owner: (uid: uid_t, gid: gid_t)?) async -> String? {
        guard !inputs.isEmpty else { return nil }
        let problem = try? await BlockingFileIO.run { placeNow(inputs, into: directory, owner: owner) }
        return problem ?? nil
    }

    static func placeNow(_ inputs: [StagedInput], into directory: String, owner: (uid: uid_t, gid: gid_t)?) -> String? {
        let base = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard base >= 0 else { return "the working directory could not be opened" }
        defer { close(base) }
        for input in inputs {
            if let problem = place(input, base: base, owner: owner) { return "input \(input.path) \(problem)" }
        }
        return nil
    }

    private static func place(_ input: StagedInput, base: Int32, owner: (uid: uid_t, gid: gid_t)?) -> String? {
        let parts = input.path.split(separator: "/").map(String.init)
        guard let last = parts.last, !parts.contains(where: { $0 == "." || $0 == ".." }) else {
            return "is not a path inside the working directory"
        }
        var directory = dup(base)
        guard directory >= 0 else { return "could not be placed (errno \(errno))" }
        defer { close(directory) }
        for part in parts.dropLast() {
            let made = mkdirat(directory, part, 0o755) == 0
            guard made || errno == EEXIST else { return "could not be placed (errno \(errno))" }
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return "could not be placed: something that is not a directory is on its path" }
            close(directory)
            directory = next
            if made, let owner { fchown(directory, owner.uid, owner.gid) }
        }
        let source = open(input.source, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { return "could not be placed (its fetched copy is gone)" }
        defer { close(source) }
        let target = openat(directory, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard target >= 0 else {
            return errno == EEXIST ? "could not be placed: its path is taken" : "could not be placed (errno \(errno))"
        }
        defer { close(target) }
        if let owner { fchown(target, owner.uid, owner.gid) }
        switch DescriptorCopy.copy(from: source, to: target, limit: .max) {
        case .success: return nil
        case .failure(.noRoom): return "could not be placed: the worker's disk is full"
        case .failure: return "could not be placed (its fetched copy could not be read)"
        }
    }
}
