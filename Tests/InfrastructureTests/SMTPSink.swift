import Foundation

/// A real SMTP server for one test: `scripts/mail/smtp_sink.py` on Debian's aiosmtpd,
/// writing each message it accepts to a directory. Stopped when its stdin closes.
final class SMTPSink: @unchecked Sendable {
    // @unchecked: every property is set in init and never changed; each test owns its sink.
    let process = Process()
    let input = Pipe()
    let port: Int
    let directory: String

    /// Nil when aiosmtpd is not installed (the test command installs it).
    init?(_ arguments: [String]) throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/aiosmtpd") else { return nil }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID())").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            [FileManager.default.currentDirectoryPath + "/scripts/mail/smtp_sink.py", "--port", "0", "--out", directory]
            + arguments
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        // Not the test's own stderr: nothing of the sink may hold the test command's output open.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard seen.hasPrefix("ready "), let port = Int(seen.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            process.terminate()
            throw SinkError(description: "the SMTP sink did not start: \(seen)")
        }
        self.port = port
    }

    /// The messages received so far, oldest first.
    func messages() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted() ?? []
        return try names.map { try String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
    }

    /// Stops the server: a signal, not just the end of its stdin (another child process may
    /// have inherited the pipe's write end, and then the end never comes).
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct SinkError: Error, CustomStringConvertible {
        let description: String
    }
}
