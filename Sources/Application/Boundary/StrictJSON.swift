/// A strict RFC 8259 check of a JSON text, run before anything decodes it. Foundation's
/// parsers are lenient (a trailing comma passes, for one), and what the API or a
/// consumer accepts must not depend on a parser's leniency. Also refused: invalid
/// UTF-8, a key repeated in one object (which value counts would be the parser's
/// choice, not the client's), and nesting deeper than `maxDepth`.
public enum StrictJSON {
    public static let maxDepth = 32

    /// Why a text is not accepted, with the byte offset where that was found.
    public struct Problem: Error, Equatable, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// nil when `bytes` is one strict JSON value (surrounded by optional whitespace).
    public static func check(_ bytes: some Collection<UInt8>) -> Problem? {
        do throws(Problem) {
            _ = try run(Array(bytes), building: false)
            return nil
        } catch {
            return error
        }
    }

    /// The value of `bytes`, checked as `check` does, in the same single pass: for
    /// decoders that want the values without a second, lenient parser. With `keeping`,
    /// only those members of the top-level object are built; the others are checked
    /// and left out, so a large field a reader ignores costs no memory.
    public static func parse(_ bytes: [UInt8], keeping: Set<String>? = nil) throws(Problem) -> JSONValue {
        try run(bytes, building: true, keeping: keeping)
    }

    private static func run(_ bytes: [UInt8], building: Bool, keeping: Set<String>? = nil) throws(Problem) -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Problem(offset: 0, reason: "not UTF-8") }
        var parser = Parser(bytes: bytes, building: building, keeping: keeping)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw parser.problem("unexpected text after the value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        /// Whether to build the values (`parse`), or only to check them (`check`, which
        /// returns `.null` for each).
        var building: Bool
        /// The top-level members to build (nil: all).
        let keeping: Set<String>?
        var index = 0

        func problem(_ reason: String) -> Problem { Problem(offset: index, reason: reason) }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Problem) {
            guard current == byte else { throw problem("expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws(Problem) -> JSONValue {
            guard let byte = current else { throw problem("unexpected end") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""):
                let content = try string(keepContent: building)
                return building ? .string(String(decoding: content, as: UTF8.self)) : .null
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw problem("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws(Problem) {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
                throw problem("unknown literal")
            }
            index += expected.count
        }

        mutating func object(depth: Int) throws(Problem) -> JSONValue {
            var keys = Set<[UInt8]>()
            var fields: [String: JSONValue] = [:]
            try members(depth: depth, closing: UInt8(ascii: "}"), "',' or '}'") { parser throws(Problem) in
                guard parser.current == UInt8(ascii: "\"") else { throw parser.problem("expected a key") }
                let keyStart = parser.index
                let key = try parser.string(keepContent: true)
                guard keys.insert(key).inserted else { throw Problem(offset: keyStart, reason: "repeated key") }
                parser.skipSpace()
                try parser.expect(UInt8(ascii: ":"), "':'")
                parser.skipSpace()
                let name = parser.building ? String(decoding: key, as: UTF8.self) : ""
                // A top-level member nobody asked for is checked, not built.
                let wanted = parser.building && (depth > 1 || parser.keeping.map { $0.contains(name) } ?? true)
                let building = parser.building
                parser.building = wanted
                let value = try parser.value(depth: depth)
                parser.building = building
                if wanted { fields[name] = value }
            }
            return building ? .object(fields) : .null
        }

        mutating func array(depth: Int) throws(Problem) -> JSONValue {
            var elements: [JSONValue] = []
            try members(depth: depth, closing: UInt8(ascii: "]"), "',' or ']'") { parser throws(Problem) in
                let value = try parser.value(depth: depth)
                if parser.building { elements.append(value) }
            }
            return building ? .array(elements) : .null
        }

        /// The members of an object or the elements of an array, from its opening
        /// bracket: `member` for each (called at its first byte), separated by commas,
        /// up to `closing`.
        mutating func members(
            depth: Int, closing: UInt8, _ expected: String, _ member: (inout Parser) throws(Problem) -> Void
        ) throws(Problem) {
            guard depth <= StrictJSON.maxDepth else { throw problem("nested too deeply") }
            index += 1
            skipSpace()
            if current == closing {
                index += 1
                return
            }
            while true {
                skipSpace()
                try member(&self)
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(closing, expected)
                return
            }
        }

        mutating func string(keepContent: Bool) throws(Problem) -> [UInt8] {
            index += 1
            var content: [UInt8] = []
            while true {
                guard let byte = current else { throw problem("unterminated string") }
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return content
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escape = current else { throw problem("unterminated string") }
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                        if keepContent { content.append(escape) }
                    case UInt8(ascii: "b"): if keepContent { content.append(0x08) }
                    case UInt8(ascii: "f"): if keepContent { content.append(0x0C) }
                    case UInt8(ascii: "n"): if keepContent { content.append(0x0A) }
                    case UInt8(ascii: "r"): if keepContent { content.append(0x0D) }
                    case UInt8(ascii: "t"): if keepContent { content.append(0x09) }
                    case UInt8(ascii: "u"):
                        let scalar = try escapedScalar()
                        if keepContent { content.append(contentsOf: Array(String(Character(scalar)).utf8)) }
                    default:
                        throw problem("invalid escape")
                    }
                case 0..<0x20:
                    throw problem("control character in a string")
                default:
                    if keepContent { content.append(byte) }
                    index += 1
                }
            }
        }

        /// The four hex digits after `\\u`.
        mutating func hexUnit() throws(Problem) -> UInt32 {
            guard index + 4 <= bytes.count else { throw problem("invalid \\u escape") }
            var unit: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                guard let digit = Self.hexValue(byte) else { throw problem("invalid \\u escape") }
                unit = unit << 4 | digit
            }
            index += 4
            return unit
        }

        /// The character of a `\\u` escape: a surrogate pair is joined; a lone surrogate
        /// is no character at all, and refused (no parser could hand it on as text).
        mutating func escapedScalar() throws(Problem) -> Unicode.Scalar {
            let unit = try hexUnit()
            if (0xDC00...0xDFFF).contains(unit) { throw problem("lone surrogate escape") }
            guard (0xD800...0xDBFF).contains(unit) else { return Unicode.Scalar(unit)! }  // not a surrogate: a scalar
            guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw problem("lone surrogate escape")
            }
            index += 2
            let low = try hexUnit()
            guard (0xDC00...0xDFFF).contains(low) else { throw problem("lone surrogate escape") }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!
        }

        mutating func number() throws(Problem) -> JSONValue {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, Self.isDigit(first) else { throw problem("invalid number") }
            index += 1
            if first != UInt8(ascii: "0") { while let byte = current, Self.isDigit(byte) { index += 1 } }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let byte = current, Self.isDigit(byte) else { throw problem("invalid number") }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let byte = current, Self.isDigit(byte) else { throw problem("invalid number") }
                while let byte = current, Self.isDigit(byte) { index += 1 }
            }
            // Syntax allows any magnitude; a number no Double can hold is refused.
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw Problem(offset: start, reason: "number out of range") }
            return building ? .number(text) : .null
        }

        static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        static func hexValue(_ byte: UInt8) -> UInt32? {
            if isDigit(byte) { return UInt32(byte - 0x30) }
            let lower = byte | 0x20
            return lower >= 0x61 && lower <= 0x66 ? UInt32(lower - 0x61 + 10) : nil
        }
    }
}

/// A JSON value as `StrictJSON.parse` read it. Numbers keep their text, so that an
/// integer is read exactly (`int`) and a fraction is not mistaken for one.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object (nil for a missing member or another kind of value).
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    public var string: String? { if case .string(let text) = self { text } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }

    /// A whole number written without a fraction or exponent, within `Int`.
    public var int: Int? {
        guard case .number(let text) = self, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int(text)
    }

    public var array: [JSONValue]? { if case .array(let elements) = self { elements } else { nil } }

    /// Any number, as the nearest double (the strict check refused numbers beyond one).
    public var double: Double? { if case .number(let text) = self { Double(text) } else { nil } }
}
