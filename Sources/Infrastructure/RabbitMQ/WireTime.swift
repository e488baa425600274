import Foundation

/// Times on the wire: ISO 8601 in UTC to the millisecond (`2026-11-22T13:46:28.123Z`).
/// Formatted from the whole number of milliseconds, so that a time survives the round
/// trip exactly (a formatter given the Double truncates, and may lose a millisecond).
enum WireTime {
    static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = Date(timeIntervalSince1970: TimeInterval(millis.floorDivided(by: 1000)))
        let base = seconds.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon).dateTimeSeparator(.standard))
        let fraction = millis - millis.floorDivided(by: 1000) * 1000
        return base + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    /// Accepts any ISO 8601 time with a zone; keeps milliseconds.
    static func parse(_ text: String) -> Date? {
        var base = text
        var millis: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            let digitsEnd = text[text.index(after: dot)...].firstIndex { !$0.isNumber } ?? text.endIndex
            let digits = text[text.index(after: dot)..<digitsEnd]
            guard !digits.isEmpty else { return nil }
            millis = Int64((digits + "000").prefix(3))!
            base = String(text[..<dot] + text[digitsEnd...])
        }
        guard let seconds = try? Date(base, strategy: .iso8601) else { return nil }
        let whole = Int64(seconds.timeIntervalSince1970.rounded())
        return Date(timeIntervalSince1970: TimeInterval(whole * 1000 + millis) / 1000)
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
