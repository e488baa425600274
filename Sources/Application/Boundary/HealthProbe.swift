/// What the API's and the workers' health and metrics endpoints share.
public enum HealthProbe {
    /// Whether `check` answers `true` within `timeout`: a hung dependency reads as down.
    public static func answers(within timeout: Duration = .seconds(2), _ check: @escaping @Sendable () async -> Bool) async
        -> Bool
    {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await check() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Whether an `Authorization` header carries `Bearer <expected>`. Compares without
    /// stopping at the first difference, so the token cannot be guessed byte by byte
    /// from response times.
    public static func bearerMatches(_ header: String?, _ expected: String) -> Bool {
        let presented = header.flatMap { $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        let x = Array(presented.utf8)
        let y = Array(expected.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
