import Domain
import Foundation

/// Times on the wire: ISO 8601 in UTC to the millisecond (`2026-11-22T13:46:28.123Z`).
/// Formatted from the whole number of milliseconds, so that a time survives the round
/// trip exactly (a formatter given the Double truncates, and may lose a millisecond).
enum WireTime {
    static func format(_ date: Date) -> String {
        let millis = date.wholeMilliseconds
        let seconds = Date(timeIntervalSince1970: TimeInterval(millis.floorDivided(by: 1000)))
        let base = seconds.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                .timeSeparator(.colon).dateTimeSeparator(.standard))
        let fraction = millis - millis.floorDivided(by: 1000) * 1000
        return base + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    /// Accepts any ISO 8601 time with a zone; keeps milliseconds.
    static func parse(_ text: String) -> Date? {
        var base = text
        var millis: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            // ASCII digits only: `isNumber` also admits other scripts' digits (and fractions),
            // which Int64(_:) refuses.
            let digitsEnd = text[text.index(after: dot)...].firstIndex { !("0"..."9").contains($0) } ?? text.endIndex
            let digits = text[text.index(after: dot)..<digitsEnd]
            guard !digits.isEmpty, digits.count <= 9, let parsed = Int64((digits + "000").prefix(3)) else { return nil }
            millis = parsed
            base = String(text[..<dot] + text[digitsEnd...])
        }
        guard text.utf8.count <= 40, let seconds = try? Date(base, strategy: .iso8601) else { return nil }
        let interval = seconds.timeIntervalSince1970.rounded()
        guard interval >= 0, interval * 1000 <= Double(Date.latestMilliseconds) else { return nil }
        let whole = Int64(interval)
        return Date(timeIntervalSince1970: TimeInterval(whole * 1000 + millis) / 1000)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
