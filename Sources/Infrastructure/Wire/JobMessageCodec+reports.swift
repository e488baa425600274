import Application
public import Domain

/// `job.reports`: several worker reports in one message. RabbitMQ's cost is per message
/// (a persistent, confirmed message is about a quarter of a millisecond of its CPU), so a
/// worker sends the reports made while its previous publish waited for confirmation as
/// one message. Each part is exactly the JSON of the single report it stands for, and is
/// decoded, bounded and settled on its own: one malformed part is set aside, not the rest.
extension JobMessageCodec {
    public static let reportsType = "job.reports"
    /// Parts in one message at most (consumers refuse more).
    public static let maxReportsPerMessage = 256

    public static func encodeReports(_ events: [JobEvent]) -> [UInt8] {
        let wires = events.map(wire(of:))
        var json = JSONWriter(capacity: 64 + wires.reduce(0) { $0 + 320 + $1.outputBytes })
        json.object { json in
            json.key("reports")
            json.array(wires) { json, wire in write(wire, into: &json) }
            json.member("type", reportsType)
            json.member("version", version)
        }
        return json.bytes
    }

    /// The parts in order, each a report or the reason it cannot be one. Throws when the
    /// message as a whole is not a `job.reports` (not JSON, another type or version, no
    /// parts or too many).
    public static func decodeReports(_ bytes: [UInt8]) throws(DecodingError) -> [Result<JobEvent, DecodingError>] {
        let root = try parse(bytes, keeping: ["type", "version", "reports"])
        guard case .object = root, root["type"]?.string == reportsType, let messageVersion = root["version"]?.int else {
            throw .malformed("not a job.reports message")
        }
        guard messageVersion == version else { throw .malformed("version \(messageVersion) is not supported") }
        guard let parts = root["reports"]?.array, (1...maxReportsPerMessage).contains(parts.count) else {
            throw .malformed("reports must hold 1 to \(maxReportsPerMessage) reports")
        }
        return parts.map { part in
            do throws(DecodingError) {
                return .success(try event(from: try checked(part, expecting: eventTypes)))
            } catch {
                return .failure(error)
            }
        }
    }
}
