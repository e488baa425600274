/// What a program printed, as text every store accepts. Output is bytes: whatever they
/// are, the result is valid UTF-8 without NUL. Invalid UTF-8 becomes U+FFFD, and so
/// does NUL (PostgreSQL's `text` refuses byte 0, and a C string would end there), so a
/// client reads `\uFFFD` where the program wrote `\0`.
public enum OutputText {
    public static let replacement: Character = "\u{FFFD}"

    /// Decodes raw bytes: invalid sequences and NUL become U+FFFD.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        guard bytes.contains(0) else { return String(decoding: bytes, as: UTF8.self) }
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if byte == 0 { cleaned.append(contentsOf: [0xEF, 0xBF, 0xBD]) } else { cleaned.append(byte) }
        }
        return String(decoding: cleaned, as: UTF8.self)
    }

    /// Text that came from elsewhere (a message another worker wrote): NUL becomes U+FFFD.
    public static func clean(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return decode(Array(text.utf8))
    }

    /// The longest prefix of `text` within `maxBytes` UTF-8 bytes that ends between two
    /// characters (a cut never leaves half a character behind).
    public static func prefix<Text: StringProtocol>(_ text: Text, maxBytes: Int) -> Text.SubSequence {
        guard text.utf8.count > maxBytes else { return text[...] }
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            used += text[index].utf8.count
            if used > maxBytes { break }
            end = text.index(after: index)
        }
        return text[..<end]
    }

    /// Whether the text can be stored as it is.
    public static func isClean(_ text: String) -> Bool { !text.utf8.contains(0) }
}
