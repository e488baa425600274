import Foundation

/// A helper process for one test that says "ready PORT" on its first line of output. It
/// is killed with SIGKILL when done: a gentler signal may be ignored (a disposition
/// inherited from whatever started the test command), and the end of its stdin may never
/// come (another child can inherit the pipe), and either would leave the test waiting.
public final class ReadyProcess: @unchecked Sendable {
    // @unchecked: every property is set in init and never changed; each test owns its instance.
    let process = Process()
    public let port: Int

    public init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        // Not the test's own stderr: nothing of the helper may hold the test command's output open.
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Its first line, however the reads split it; an empty read is retried for a while.
        var seen = ""
        let deadline = Date().addingTimeInterval(20)
        while !seen.contains("\n"), Date() < deadline, process.isRunning || !seen.isEmpty {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.02) } else { seen += String(decoding: chunk, as: UTF8.self) }
        }
        let words = seen.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0] == "ready", let port = Int(words[1]), port > 0 else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HelperError(description: "\(arguments.first ?? "a helper") did not start: \(seen.prefix(200))")
        }
        self.port = port
    }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    public struct HelperError: Error, CustomStringConvertible {
        public let description: String
    }
}

/// A real SMTP server for one test: `scripts/mail/smtp_sink.py` on Debian's aiosmtpd,
/// writing each message it accepts to a directory.
public final class SMTPSink: @unchecked Sendable {
    // @unchecked: set in init, never changed.
    let helper: ReadyProcess
    public let directory: String
    public var port: Int { helper.port }

    /// Nil when aiosmtpd is not installed (the test command installs it).
    /// `port` 0: a free one (then `port` says which); another: that one (a server started again).
    public init?(_ arguments: [String], port: Int = 0) throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/aiosmtpd") else { return nil }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID())").path
        helper = try ReadyProcess(
            [FileManager.default.currentDirectoryPath + "/scripts/mail/smtp_sink.py", "--port", String(port), "--out", directory]
                + arguments)
    }

    /// The messages received so far, oldest first.
    public func messages() throws -> [String] {
        // Only whole messages: the sink writes each to a hidden file and renames it.
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted()
            .filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") } ?? []
        return try names.map { try String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
    }

    public func stop() { helper.stop() }

    /// The decoded body of each MIME part of a received message (every part is base64).
    public static func parts(_ message: String) -> [String] {
        message.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst().map { part in
            let encoded = part.components(separatedBy: "\r\n--").first ?? ""
            let data = Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: "")) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    deinit {
        helper.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Accepts connections and never writes: what a hung mail server looks like.
public func silentServer() throws -> ReadyProcess {
    try ReadyProcess([
        "-c",
        """
        import socket, time
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        print("ready", s.getsockname()[1], flush=True)
        while True: s.accept(); time.sleep(3600)
        """,
    ])
}
