import Foundation

/// A small, seeded generator (SplitMix64): the same seed gives the same inputs, so a
/// failure found by a random seed is replayed by committing that seed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Property-based checks at the boundaries: inputs made from seeds, mutated, spliced
/// with the tokens a boundary is most likely to mishandle, and checked against a
/// property (never a crash, and an answer that means something). Bounded in time:
/// `CLOUDTASK_FUZZ_SECONDS` (default 3) per property, after the fixed seeds.
public enum Fuzz {
    public static var seconds: Double {
        Double(ProcessInfo.processInfo.environment["CLOUDTASK_FUZZ_SECONDS"] ?? "") ?? 3
    }

    /// The fixed seeds every run tries first (regressions stay covered), then random ones
    /// until the time is up. Returns how many inputs were tried. It yields now and then:
    /// a loop that never awaits would hold a thread of the shared pool (two on two cores)
    /// and starve every other test for its whole run.
    @discardableResult
    public static func run(seeds: [UInt64] = Array(1...64), _ property: (inout SeededGenerator) throws -> Void) async rethrows
        -> Int
    {
        try await runAsync(seeds: seeds) { generator in try property(&generator) }
    }

    /// Tokens that break parsers: delimiters, escapes, huge and negative numbers, NUL,
    /// invalid UTF-8, non-ASCII digits.
    public static let interesting: [[UInt8]] =
        [
            "\"", "\\", "{", "}", "[", "]", ",", ":", ".", "-", "+", "e", "0", "1e999", "-0", "9999999999999999999999",
            "9223372036854775807", "-9223372036854775808", "1.5", "NaN", "null", "true", "\\u0000", "\\ud800", "٣", "=", "_", "/",
            "\u{0}", "\u{FFFD}", " ", "\n", "\t", ",}", ",]",
        ].map { Array($0.utf8) } + [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]

    public static func bytes(_ generator: inout SeededGenerator, maxCount: Int) -> [UInt8] {
        let count = Int.random(in: 0...maxCount, using: &generator)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A few random edits of `seed`: byte flips, insertions, deletions, interesting tokens.
    public static func mutate(_ seed: [UInt8], _ generator: inout SeededGenerator, edits: Int = 4) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...edits, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0 where position < bytes.count:
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            case 1:
                bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
            case 2 where position < bytes.count:
                bytes.remove(at: position)
            case 3:
                bytes.insert(contentsOf: interesting.randomElement(using: &generator)!, at: position)
            default:
                let end = min(bytes.count, position + Int.random(in: 0...8, using: &generator))
                bytes.removeSubrange(position..<end)
                bytes.insert(contentsOf: interesting.randomElement(using: &generator)!, at: position)
            }
        }
        return bytes
    }

    /// Random valid JSON text (objects with unique keys), for properties of parsers.
    public static func json(_ generator: inout SeededGenerator, depth: Int = 0) -> String {
        let choice = Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator)
        switch choice {
        case 0: return "null"
        case 1: return Bool.random(using: &generator) ? "true" : "false"
        case 2: return String(Int.random(in: -1_000_000...1_000_000, using: &generator))
        case 3: return String(Double.random(in: -1000...1000, using: &generator))
        case 4: return jsonString(&generator)
        case 5:
            let items = (0..<Int.random(in: 0...4, using: &generator)).map { _ in json(&generator, depth: depth + 1) }
            return "[" + items.joined(separator: ",") + "]"
        default:
            var keys = Set<String>()
            var members: [String] = []
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                let key = "k\(index)\(Int.random(in: 0...9, using: &generator))"
                guard keys.insert(key).inserted else { continue }
                members.append("\"\(key)\": " + json(&generator, depth: depth + 1))
            }
            return "{" + members.joined(separator: ", ") + "}"
        }
    }

    public static func jsonString(_ generator: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", " ", "é", "日本", "\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00", "/", "\\/", "x"]
        return "\""
            + (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined() + "\""
    }
}

extension Fuzz {
    /// `run` for properties that await (requests through a router). A failing random
    /// seed is printed, to be added to the fixed ones.
    @discardableResult
    public static func runAsync(seeds: [UInt64] = Array(1...32), _ property: (inout SeededGenerator) async throws -> Void)
        async rethrows -> Int
    {
        var tried = 0
        for seed in seeds {
            var generator = SeededGenerator(seed: seed)
            try await property(&generator)
            tried += 1
            if tried % 16 == 0 { await Task.yield() }
        }
        let deadline = Date().addingTimeInterval(seconds)
        var source = SystemRandomNumberGenerator()
        while Date() < deadline {
            let seed = source.next()
            var generator = SeededGenerator(seed: seed)
            do {
                try await property(&generator)
            } catch {
                print("fuzz: seed \(seed) failed; add it to the seeds to replay it")
                throw error
            }
            tried += 1
            if tried % 16 == 0 { await Task.yield() }
        }
        return tried
    }

    /// Text for a URL query value: mutated, then percent-encoded so that it reaches the
    /// handler as the bytes made (a request line itself stays well-formed).
    public static func queryValue(_ seed: String, _ generator: inout SeededGenerator) -> String {
        let bytes = mutate(Array(seed.utf8), &generator)
        return bytes.map { byte in
            let allowed =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
                || byte == 0x5F
            return allowed ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }
}
