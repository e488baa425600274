import CHiredis
import Foundation

/// One blocking hiredis connection. hiredis contexts are not thread-safe, so a
/// connection is used by one thread at a time: `RedisClient` hands it to a thread of its
/// pool for one call and takes it back afterwards.
final class RedisConnection: @unchecked Sendable {
    // @unchecked: the context pointer is mutable C state, but the pool's lock gives each
    // connection to exactly one thread per call (check-out/check-in), never two at once.
    private let context: UnsafeMutablePointer<redisContext>
    let generation: Int

    /// Connects, authenticates and selects the database, or throws `.connection`.
    init(url: RedisURL, connectTimeout: Duration, commandTimeout: Duration, generation: Int) throws(RedisError) {
        guard let context = redisConnectWithTimeout(url.host, Int32(url.port), Self.timeval(connectTimeout)) else {
            throw .connection("out of memory")
        }
        self.context = context
        self.generation = generation
        guard context.pointee.err == 0 else { throw .connection(Self.errorText(context)) }
        redisSetTimeout(context, Self.timeval(commandTimeout))
        _ = redisEnableKeepAlive(context)
        var setup: [[String]] = []
        if let password = url.password {
            setup.append(url.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if url.database != 0 { setup.append(["SELECT", String(url.database)]) }
        guard !setup.isEmpty else { return }
        for reply in try pipeline(setup) {
            // A refused password or database is a configuration problem, reported as such.
            if case .error(let message) = reply { throw .connection("refused at login: \(message.prefix(80))") }
        }
    }

    deinit { redisFree(context) }

    /// Sends every command, then reads every reply: one round trip for the lot.
    /// Throws `.connection` when the connection broke; it must not be used again.
    func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        for command in commands { try append(command) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw .connection(Self.errorText(context))
            }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.copy(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Queues one command in hiredis's output buffer. Arguments are binary-safe: they are
    /// laid out in one buffer and passed with their lengths.
    private func append(_ command: [String]) throws(RedisError) {
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in command {
            offsets.append(bytes.count)
            lengths.append(argument.utf8.count)
            bytes.append(contentsOf: argument.utf8)
        }
        bytes.append(0)  // a non-empty buffer even when every argument is empty
        let status = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    redisAppendCommandArgv(context, Int32(command.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
                }
            }
        }
        guard status == REDIS_OK else { throw .connection(Self.errorText(context)) }
    }

    // MARK: Subscriptions

    /// Sends commands without reading replies: after `SUBSCRIBE`, what the server sends
    /// arrives through `nextPush`.
    func send(_ commands: [[String]]) throws(RedisError) {
        for command in commands { try append(command) }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw .connection(Self.errorText(context)) }
        }
    }

    /// The next reply the server pushed, waiting at most `timeoutMilliseconds` for it;
    /// nil when none came. Waits in `poll`, not in a socket read timeout, because a
    /// timed-out hiredis read leaves the context unusable.
    func nextPush(timeoutMilliseconds: Int32) throws(RedisError) -> RedisReply? {
        if let buffered = try bufferedReply() { return buffered }
        var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .connection("poll failed: \(errno)")
        }
        if ready == 0 { return nil }
        guard redisBufferRead(context) == REDIS_OK else { throw .connection(Self.errorText(context)) }
        return try bufferedReply()
    }

    private func bufferedReply() throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw .connection(Self.errorText(context)) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.copy(raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .bulk(value.str.map { Array(UnsafeRawBufferPointer(start: $0, count: value.len)) } ?? [])
        case REDIS_REPLY_STATUS:
            return .status(text(value))
        case REDIS_REPLY_ERROR:
            return .error(text(value))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<value.elements).compactMap { index in value.element[index].map(copy) })
        default:
            return .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard let str = reply.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: reply.len), as: UTF8.self)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func timeval(_ duration: Duration) -> Foundation.timeval {
        let (seconds, attoseconds) = duration.components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
