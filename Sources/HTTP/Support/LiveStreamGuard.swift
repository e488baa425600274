import Domain
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// The bounds every live stream lives within, so that no client can hold a process's
/// streams or memory: a number per user and per process (past them a clear 429 or 503
/// with `Retry-After`), a time a write may wait for a client that reads nothing (then its
/// connection is closed), and a check, at every heartbeat, that the caller's token is
/// still valid (a logout or a password change ends the streams of that session).
public struct LiveStreamLimits: Sendable {
    public var perUser: Int
    public var perProcess: Int
    public var writeTimeout: Duration

    public init(perUser: Int = 8, perProcess: Int = 2_000, writeTimeout: Duration = .seconds(30)) {
        self.perUser = perUser
        self.perProcess = perProcess
        self.writeTimeout = writeTimeout
    }
}

/// Counts the streams open in this process, per user and in all.
final class LiveStreamCounter: Sendable {
    private struct Counts {
        var total = 0
        var perUser: [UserID: Int] = [:]
    }

    private let counts = Mutex(Counts())
    let limits: LiveStreamLimits

    init(limits: LiveStreamLimits) { self.limits = limits }

    /// A slot for one stream of `user`, given back when the slot is released (or dropped).
    func open(for user: UserID) throws -> LiveStreamSlot {
        try counts.withLock { counts in
            guard counts.total < limits.perProcess else { throw APIError.tooManyStreams(perUser: false) }
            guard counts.perUser[user, default: 0] < limits.perUser else { throw APIError.tooManyStreams(perUser: true) }
            counts.total += 1
            counts.perUser[user, default: 0] += 1
        }
        return LiveStreamSlot { [self] in
            counts.withLock { counts in
                counts.total -= 1
                let left = counts.perUser[user, default: 1] - 1
                counts.perUser[user] = left > 0 ? left : nil
            }
        }
    }

    var open: Int { counts.withLock { $0.total } }
}

/// One open stream's place in the count: released once, when the stream ends or, if
/// its response is never sent, when it is dropped.
final class LiveStreamSlot: Sendable {
    private let release: Mutex<(@Sendable () -> Void)?>

    init(release: @escaping @Sendable () -> Void) { self.release = Mutex(release) }

    func close() {
        let action = release.withLock { action in
            defer { action = nil }
            return action
        }
        action?()
    }

    deinit { close() }
}

/// Ends a stream whose client stopped reading: a write that has waited longer than the
/// limit (the socket's buffers are full) closes the connection, which fails the write.
final class StalledWriteWatch: Sendable {
    /// When the write in progress began (nil between writes): shared with the watcher.
    private final class WriteStart: Sendable {
        let instant = Mutex<ContinuousClock.Instant?>(nil)
    }

    private let started = WriteStart()
    private let watcher: Task<Void, Never>

    /// `onStall` closes the connection (it is the stream's channel being closed).
    init(limit: Duration, onStall: @escaping @Sendable () -> Void) {
        let started = self.started
        watcher = Task {
            let pace = max(.milliseconds(50), limit / 4)
            while !Task.isCancelled {
                try? await Task.sleep(for: pace)
                if let since = started.instant.withLock({ $0 }), ContinuousClock.now - since > limit {
                    onStall()
                    return
                }
            }
        }
    }

    func write(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        started.instant.withLock { $0 = .now }
        defer { started.instant.withLock { $0 = nil } }
        try await writer.write(buffer)
    }

    func stop() { watcher.cancel() }

    deinit { stop() }
}
