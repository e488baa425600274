import Foundation
public import Logging
import Synchronization

/// One log line per event on standard error: JSON objects for machines (the default)
/// or plain text for people. Nothing secret is ever passed to a logger in this code
/// base; this handler adds no redaction of its own.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// Adds metadata from the task's context (the span's `trace_id` and `span_id`).
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let label: String
    let json: Bool

    public init(label: String, level: Logger.Level, json: Bool) {
        self.label = label
        self.logLevel = level
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let line: String
        if json {
            var fields: [String: String] = [:]
            for (key, value) in merged { fields[key] = "\(value)" }
            fields["time"] = time
            fields["level"] = event.level.rawValue
            fields["message"] = "\(event.message)"
            fields["logger"] = label
            let data =
                (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let extras = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue.uppercased()) \(event.message)\(extras.isEmpty ? "" : " " + extras)"
        }
        LineLogHandler.write(line + "\n")
    }

    private static let lock = Mutex(())
    private static func write(_ line: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// Installs this handler for the whole process (call once, at start), with
    /// `metadataProvider` adding to every line (the trace context: docs/tracing.md).
    public static func bootstrap(level: String, json: Bool, metadataProvider: Logger.MetadataProvider? = nil) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = LineLogHandler(label: label, level: parsed, json: json)
                handler.metadataProvider = provider
                return handler
            }, metadataProvider: metadataProvider)
    }
}
