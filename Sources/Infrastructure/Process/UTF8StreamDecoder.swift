import Domain

/// Decodes a byte stream as UTF-8 chunk by chunk: a character split across two reads
/// is held back until its last byte arrives; invalid bytes and NUL become U+FFFD
/// (`OutputText`), so that no byte a program prints can make a store refuse the text.
struct UTF8StreamDecoder {
    private var pending: [UInt8] = []

    mutating func decode(_ bytes: some Collection<UInt8>) -> String {
        var all = pending
        all.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(all)
        pending = Array(all[cut...])
        return OutputText.decode(all[..<cut])
    }

    /// Whatever was held back, at end of stream (an incomplete character: U+FFFD).
    mutating func finish() -> String {
        defer { pending = [] }
        return pending.isEmpty ? "" : OutputText.decode(pending)
    }

    /// The length of the longest prefix that does not end inside a character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A character is at most 4 bytes: look back at most 3 for its lead byte.
        for back in 1...min(3, max(count, 1)) where back <= count {
            let byte = bytes[count - back]
            if byte & 0b1100_0000 == 0b1000_0000 { continue }  // continuation byte
            let expected: Int
            switch byte {
            case 0b1111_0000...0b1111_0111: expected = 4
            case 0b1110_0000...0b1110_1111: expected = 3
            case 0b1100_0000...0b1101_1111: expected = 2
            default: expected = 1
            }
            return expected > back ? count - back : count
        }
        return count
    }
}

/// Keeps one stream within its cap: text past the cap is dropped (on a character
/// boundary) and the stream is marked truncated, while the program keeps running.
struct CappedStream {
    let limit: Int
    private(set) var emitted = 0
    private(set) var truncated = false

    init(limit: Int) { self.limit = limit }

    mutating func admit(_ text: String) -> String {
        // Once cut, the stream stays cut: nothing after the cut may look contiguous.
        guard !truncated else { return "" }
        let room = limit - emitted
        if text.utf8.count <= room {
            emitted += text.utf8.count
            return text
        }
        truncated = true
        let kept = String(OutputText.prefix(text, maxBytes: max(0, room)))
        emitted += kept.utf8.count
        return kept
    }
}
