import Domain
import Foundation
import Ports

/// Turns a list position into the opaque `cursor` string clients pass back, and back
/// again. Clients must not build cursors; anything that does not decode is a `400`.
enum JobCursorCodec {
    static func encode(_ cursor: JobCursor) -> String {
        let millis = cursor.createdAt.wholeMilliseconds
        let text = "1:\(millis):\(cursor.id)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> JobCursor? {
        guard !text.isEmpty, text.utf8.count <= 128 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let plain = String(data: data, encoding: .utf8) else { return nil }
        let parts = plain.split(separator: ":", omittingEmptySubsequences: false)
        // Bounded before it becomes a Date: a time past year 9999 cannot be stored, and
        // the database driver traps converting it (a crash any caller could cause).
        guard parts.count == 3, parts[0] == "1", parts[1].utf8.count <= 15, let millis = Int64(parts[1]),
            (0...Date.latestMilliseconds).contains(millis),
            let uuid = UUID(canonical: parts[2])
        else { return nil }
        return JobCursor(createdAt: Date(timeIntervalSince1970: Double(millis) / 1000), id: JobID(uuid))
    }
}
