import Foundation

/// Unpadded base64url (RFC 4648 §5), as JWTs and our refresh tokens use it.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Byte → 6-bit value, 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    // By hand, on bytes: this runs for every authenticated request, and going through
    // Foundation's base64 and string replacement cost a tenth of the API's CPU time.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(alphabet[Int(chunk >> 6 & 63)])
            output.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let chunk = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            if rest == 2 { output.append(alphabet[Int(chunk >> 6 & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Only the base64url alphabet, unpadded: anything else (padding included) is refused,
    /// and so is a last character with bits that do not belong to the data.
    static func decode(_ text: Substring) -> Data? {
        var bytes = Array(text.utf8)
        guard bytes.count % 4 != 1 else { return nil }
        for index in bytes.indices {
            let value = values[Int(bytes[index])]
            guard value != 0xFF else { return nil }
            bytes[index] = value
        }
        var output = Data(capacity: bytes.count * 3 / 4)
        var index = 0
        while index + 4 <= bytes.count {
            let chunk =
                UInt32(bytes[index]) << 18 | UInt32(bytes[index + 1]) << 12 | UInt32(bytes[index + 2]) << 6
                | UInt32(bytes[index + 3])
            output.append(UInt8(chunk >> 16 & 0xFF))
            output.append(UInt8(chunk >> 8 & 0xFF))
            output.append(UInt8(chunk & 0xFF))
            index += 4
        }
        switch bytes.count - index {
        case 2:
            guard bytes[index + 1] & 0x0F == 0 else { return nil }
            output.append(bytes[index] << 2 | bytes[index + 1] >> 4)
        case 3:
            guard bytes[index + 2] & 0x03 == 0 else { return nil }
            let chunk = UInt32(bytes[index]) << 12 | UInt32(bytes[index + 1]) << 6 | UInt32(bytes[index + 2])
            output.append(UInt8(chunk >> 10 & 0xFF))
            output.append(UInt8(chunk >> 2 & 0xFF))
        default:
            break
        }
        return output
    }
}

/// Random bytes from the system's cryptographically secure generator (getrandom on Linux).
func secureRandomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
