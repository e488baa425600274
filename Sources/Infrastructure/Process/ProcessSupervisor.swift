import CSpawn
import Domain
import Foundation
import Ports
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the supervising thread reports back to the async side.
enum SupervisorEvent: Sendable {
    case output(OutputChunk)
    /// Just before `finished`: which streams passed the output cap (stdout, stderr).
    case truncated(stdout: Bool, stderr: Bool)
    case finished(ProcessTermination)
}

/// Owns one child process on a dedicated thread: spawns it (so PR_SET_PDEATHSIG is tied
/// to a thread that lives exactly as long as the child), reads both pipes with poll(2),
/// enforces the timeout, and delivers SIGTERM then SIGKILL to the process group on stop.
/// Blocking system calls happen here, never on an event loop or the cooperative pool.
final class ProcessSupervisor: Sendable {
    enum StopReason: Int {
        case none = 0
        case stop, timeout
    }

    private let reason = Atomic<Int>(StopReason.none.rawValue)
    private let request: PreparedSpawn
    private let timeoutSeconds: Int
    private let graceSeconds: Int
    private let outputLimit: Int
    private let events: AsyncStream<SupervisorEvent>.Continuation
    /// Files that receive each stream's every byte (stdout, stderr), up to a cap: the full
    /// log, kept when a stream passes the output cap. Nil: none. Owned by the caller.
    private let spools: [LogSpool]?

    init(
        request: PreparedSpawn, timeoutSeconds: Int, graceSeconds: Int, outputLimit: Int,
        events: AsyncStream<SupervisorEvent>.Continuation, spools: [LogSpool]? = nil
    ) {
        self.spools = spools
        self.request = request
        self.timeoutSeconds = timeoutSeconds
        self.graceSeconds = graceSeconds
        self.outputLimit = outputLimit
        self.events = events
    }

    /// Asks the child to stop (from any thread). The first reason given wins.
    func requestStop() {
        _ = reason.compareExchange(expected: StopReason.none.rawValue, desired: StopReason.stop.rawValue, ordering: .relaxed)
    }

    func start() {
        let thread = Thread { [self] in self.supervise() }
        thread.name = "cloudtask-process"
        thread.start()
    }

    private func supervise() {
        defer { events.finish() }
        var pid: pid_t = 0
        var stdoutFD: Int32 = -1
        var stderrFD: Int32 = -1
        var statusFD: Int32 = -1
        let code = request.withRequest { ct_spawn($0, &pid, &stdoutFD, &stderrFD, &statusFD) }
        // The box's cgroup.procs files: the init has joined them (or failed to).
        for fd in request.box?.procsFDs ?? [] { Glibc.close(fd) }
        defer { if statusFD >= 0 { Glibc.close(statusFD) } }
        guard code == 0 else {
            events.yield(.finished(.spawnFailed("could not start \(request.displayName): \(String(cString: strerror(code)))")))
            return
        }
        let started = ContinuousClock.now
        let deadline = started + .seconds(timeoutSeconds)
        var termSentAt: ContinuousClock.Instant?
        var killed = false
        var streams = [
            PipeReader(fd: stdoutFD, limit: outputLimit, spool: spools?[0]),
            PipeReader(fd: stderrFD, limit: outputLimit, spool: spools?[1]),
        ]
        var status: Int32 = 0
        var exited = false
        var truncationReported = false

        // Readable when the child exits, so the loop wakes for the exit itself; without
        // it (old kernels) a closed pair of pipes is followed by short naps instead.
        let exitFD = ct_pidfd_open(pid)
        defer { if exitFD >= 0 { Glibc.close(exitFD) } }

        while true {
            let open = streams.filter { !$0.closed }
            if exited && open.isEmpty { break }
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if !exited && exitFD >= 0 { fds.append(pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)) }
            if !fds.isEmpty { _ = poll(&fds, nfds_t(fds.count), open.isEmpty && exitFD < 0 ? 5 : 100) } else { usleep(5_000) }
            var chunk = OutputChunk()
            for index in streams.indices where !streams[index].closed {
                let text = streams[index].drain()
                if index == 0 { chunk.stdout = text } else { chunk.stderr = text }
            }
            // Truncation is news once: a program writing past its cap without pause must
            // not fill the event stream with empty chunks.
            let truncatedNow = streams.contains { $0.truncated }
            chunk.truncated = truncatedNow && !truncationReported
            truncationReported = truncatedNow
            if !chunk.stdout.isEmpty || !chunk.stderr.isEmpty || chunk.truncated { events.yield(.output(chunk)) }

            if !exited, ct_try_wait(pid, &status) == 1 {
                exited = true
                // In a box the child was the init; the program's own status comes through
                // the status pipe (absent when the init was killed: its status stands).
                var programStatus: Int32 = 0
                if statusFD >= 0, ct_read_status(statusFD, &programStatus) == 1 { status = programStatus }
                // Whatever the program left behind in its group goes too, or a grandchild
                // holding the pipes open would keep this loop waiting forever.
                kill(-pid, SIGKILL)
            }
            if exited { continue }
            let now = ContinuousClock.now
            if now >= deadline {
                _ = reason.compareExchange(
                    expected: StopReason.none.rawValue, desired: StopReason.timeout.rawValue, ordering: .relaxed)
            }
            if reason.load(ordering: .relaxed) != StopReason.none.rawValue {
                if termSentAt == nil {
                    kill(-pid, SIGTERM)
                    termSentAt = now
                } else if !killed, now - termSentAt! >= .seconds(graceSeconds) {
                    kill(-pid, SIGKILL)
                    killed = true
                }
            }
        }
        for index in streams.indices { streams[index].close() }
        events.yield(.truncated(stdout: streams[0].truncated, stderr: streams[1].truncated))
        events.yield(.finished(termination(status)))
    }

    private func termination(_ status: Int32) -> ProcessTermination {
        switch StopReason(rawValue: reason.load(ordering: .relaxed)) {
        case .timeout: return .timedOut
        case .stop: return .stopped
        default:
            var value: Int32 = 0
            switch ct_decode_status(status, &value) {
            case 1: return .exited(value)
            case 2: return .signalled(value)
            default: return .signalled(0)
            }
        }
    }
}

/// One output pipe: non-blocking reads, UTF-8 decoding across reads, and the cap.
struct PipeReader {
    let fd: Int32
    private(set) var closed = false
    private var decoder = UTF8StreamDecoder()
    private var capped: CappedStream
    private var buffer = [UInt8](repeating: 0, count: 65_536)
    private let spool: LogSpool?

    init(fd: Int32, limit: Int, spool: LogSpool? = nil) {
        self.fd = fd
        self.spool = spool
        capped = CappedStream(limit: limit)
    }

    var truncated: Bool { capped.truncated }

    /// At most this many reads per call: a program that writes without pause must not
    /// keep the supervisor here, past its timeout and past a stop.
    static let readsPerDrain = 16

    /// Reads what is available now, up to `readsPerDrain` buffers; returns the admitted text.
    mutating func drain() -> String {
        var text = ""
        var reads = 0
        while !closed && reads < Self.readsPerDrain {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                reads += 1
                spool?.append(buffer[..<count])
                // Past the cap the bytes are only drained (the program keeps running), not decoded.
                if !capped.truncated { text += capped.admit(decoder.decode(buffer[..<count])) }
                continue
            }
            if count == 0 {
                if !capped.truncated { text += capped.admit(decoder.finish()) }
                close()
            } else if errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK {
                close()
            } else if errno == EINTR {
                continue
            }
            break
        }
        return text
    }

    mutating func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
