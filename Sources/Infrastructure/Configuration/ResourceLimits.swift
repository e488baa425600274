import Foundation

/// The rlimits a job's program runs under (`CLOUDTASK_JOB_RLIMITS`).
public struct ResourceLimits: Hashable, Sendable {
    public var cpuSeconds: UInt64 = 3600
    public var addressSpaceBytes: UInt64 = 1 << 30
    public var processes: UInt64 = 64
    public var fileSizeBytes: UInt64 = 64 << 20
    public var openFiles: UInt64 = 256

    public init() {}

    /// Parses `cpu=3600,as=1g,nproc=64,fsize=64m,nofile=256`; names left out keep their
    /// defaults. Sizes take a `k`, `m` or `g` suffix.
    public init?(parsing text: String) {
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let value = Self.size(pair[1]) else { return nil }
            switch pair[0] {
            case "cpu": cpuSeconds = value
            case "as": addressSpaceBytes = value
            case "nproc": processes = value
            case "fsize": fileSizeBytes = value
            case "nofile": openFiles = value
            default: return nil
            }
        }
    }

    static func size(_ text: String) -> UInt64? {
        let multipliers: [Character: UInt64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        if let last = text.last?.lowercased().first, let multiplier = multipliers[last] {
            return UInt64(text.dropLast()).flatMap {
                $0.multipliedReportingOverflow(by: multiplier).overflow ? nil : $0 * multiplier
            }
        }
        return UInt64(text)
    }
}
