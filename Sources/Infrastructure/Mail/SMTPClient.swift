import Domain
import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import Ports

/// Sends mail over SMTP (RFC 5321) on SwiftNIO, with TLS from swift-nio-ssl: implicit TLS
/// for `smtps://`, STARTTLS for `smtp://` when the server offers it, then AUTH PLAIN (or
/// LOGIN) when the URL has credentials. Credentials never cross an unencrypted
/// connection to anything but loopback. One connection per message: mail is rare here,
/// and a fresh session cannot inherit a half-failed one's state.
///
/// Whatever the server does, a send ends: every reply is awaited at most
/// `replyTimeout`, a line is at most 4 KiB and a reply at most 64 lines.
public struct SMTPClient: MailTransport {
    let url: SMTPURL
    let from: String
    let fromName: String
    let tls: NIOSSLContext
    let replyTimeout: TimeAmount
    let logger: Logger

    /// `caFile`: the bundle server certificates are checked against (the system's when nil).
    public init(
        url: SMTPURL, from: String, fromName: String = "CloudTask", caFile: String? = nil,
        replyTimeoutSeconds: Int64 = 30, logger: Logger
    ) throws {
        self.url = url
        self.from = from
        self.fromName = fromName
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        tls = try NIOSSLContext(configuration: configuration)
        self.replyTimeout = .seconds(replyTimeoutSeconds)
        self.logger = logger
    }

    public func send(_ mail: OutgoingMail) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: url.host, port: url.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if url.implicitTLS { try channel.pipeline.syncOperations.addHandler(try tlsHandler()) }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw MailDeliveryError.transient("cannot connect to \(url): \(error)")
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var session = SMTPSession(
                    lines: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel,
                    timeout: replyTimeout)
                try await converse(&session, mail: mail)
            }
        } catch let error as MailDeliveryError {
            throw error
        } catch {
            throw MailDeliveryError.transient("\(url): \(error)")
        }
    }

    private func tlsHandler() throws -> NIOSSLClientHandler {
        // SNI takes a name, not an address: an address is checked against the chain only.
        let isAddress = url.host.contains(":") || url.host.allSatisfy { $0.isNumber || $0 == "." }
        return try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : url.host)
    }

    private func converse(_ session: inout SMTPSession, mail: OutgoingMail) async throws {
        try await session.expect(220)
        var capabilities = try await session.command("EHLO \(Self.heloName)", expect: 250)
        var encrypted = url.implicitTLS
        if !encrypted, capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) {
            try await session.command("STARTTLS", expect: 220)
            // Made and added on the channel's own loop (a TLS handler is not Sendable).
            let channel = session.channel
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(try tlsHandler(), position: .first)
            }.get()
            encrypted = true
            capabilities = try await session.command("EHLO \(Self.heloName)", expect: 250)
        }
        if let username = url.username, let password = url.password {
            guard encrypted || url.isLoopback else {
                throw MailDeliveryError.permanent(
                    "\(url) offers no TLS: credentials are not sent in the clear (use smtps:// or a server with STARTTLS)")
            }
            let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
            if auth.contains("PLAIN") {
                let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try await session.command("AUTH PLAIN \(token)", expect: 235, secret: true)
            } else if auth.contains("LOGIN") {
                try await session.command("AUTH LOGIN", expect: 334)
                try await session.command(Data(username.utf8).base64EncodedString(), expect: 334, secret: true)
                try await session.command(Data(password.utf8).base64EncodedString(), expect: 235, secret: true)
            } else {
                throw MailDeliveryError.permanent("\(url) offers neither AUTH PLAIN nor AUTH LOGIN")
            }
        }
        try await session.command("MAIL FROM:<\(from)>", expect: 250)
        try await session.command("RCPT TO:<\(mail.to.value)>", expect: 250, 251)
        try await session.command("DATA", expect: 354)
        let message = MIMEMessage.render(
            mail, from: from, fromName: fromName, date: Date(),
            domain: from.split(separator: "@").last.map(String.init) ?? "cloudtask")
        try await session.write(Self.dotStuffed(message) + ".\r\n")
        try await session.expect(250)
        // The message is accepted; a failed goodbye does not unsend it.
        _ = try? await session.command("QUIT", expect: 221)
        logger.info("mail sent", metadata: ["mail_id": "\(mail.id)", "kind": "\(mail.kind)", "server": "\(url)"])
    }

    static let heloName = "cloudtask.localdomain"

    /// A line that starts with "." gets another (RFC 5321 §4.5.2), so that no line of the
    /// message ends the data early.
    static func dotStuffed(_ message: String) -> String {
        message.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }
}

/// One SMTP conversation: commands out, replies in, each reply awaited with a deadline.
struct SMTPSession {
    var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    let timeout: TimeAmount

    func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Sends one command and reads its reply; `secret` keeps the command out of errors.
    @discardableResult
    mutating func command(_ line: String, expect codes: Int..., secret: Bool = false) async throws -> [String] {
        try await write(line + "\r\n")
        return try await expect(codes, after: secret ? "a credential" : String(line.prefix(64)))
    }

    @discardableResult
    mutating func expect(_ codes: Int...) async throws -> [String] {
        try await expect(codes, after: "connecting")
    }

    /// Reads a (possibly multi-line) reply; a 5xx is permanent, anything else unexpected transient.
    mutating func expect(_ codes: [Int], after what: String) async throws -> [String] {
        var texts: [String] = []
        while true {
            guard texts.count < 64 else { throw MailDeliveryError.transient("a reply of more than 64 lines") }
            let line = try await nextLine()
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) else {
                throw MailDeliveryError.transient("not an SMTP reply after \(what): \(line.prefix(80))")
            }
            texts.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") { continue }
            guard codes.contains(code) else {
                let reply = "\(code) \(texts.joined(separator: " ").prefix(200))"
                throw (500..<600).contains(code)
                    ? MailDeliveryError.permanent("the server refused \(what): \(reply)")
                    : MailDeliveryError.transient("the server answered \(what) with \(reply)")
            }
            // EHLO's first line is the greeting; the rest are capabilities.
            return Array(texts.dropFirst())
        }
    }

    private mutating func nextLine() async throws -> String {
        // A watchdog on the channel's own loop: a server that goes quiet has its
        // connection closed, which ends the wait below.
        let channel = channel
        let watchdog = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { watchdog.cancel() }
        guard let line = try await lines.next() else {
            throw MailDeliveryError.transient("the server closed the connection, or did not answer within \(timeout)")
        }
        return String(buffer: line)
    }
}

/// Splits the byte stream into lines (CRLF or LF), refusing a line longer than 4 KiB: a
/// server that never ends a line cannot make this process buffer without bound.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxLine = 4096

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLine { throw MailDeliveryError.transient("a reply line over 4 KiB") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= Self.maxLine, var line = buffer.readSlice(length: length) else {
            throw MailDeliveryError.transient("a reply line over 4 KiB")
        }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}
