import Application
import Foundation
import NIOCore
import Testing

@testable import HTTP

@Suite("JSONWriter")
struct JSONWriterTests {
    struct Sample: JSONWritable {
        let text: String
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.key("a")
                json.string(text)
                json.key("b")
                json.array([1, -2, 3]) { json, value in json.int(value) }
                json.key("c")
                json.optional(nil as Int?) { json, value in json.int(value) }
                json.key("d")
                json.bool(true)
                json.key("e")
                json.object { json in
                    json.key("x")
                    json.array([String]()) { json, value in json.string(value) }
                }
            }
        }
    }

    @Test("writes what JSONSerialization reads back, every character escaped or kept as JSON requires")
    func roundTrip() throws {
        let tricky = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} unicode ü 🎉 \u{2028}"
        var json = JSONWriter()
        Sample(text: tricky).write(to: &json)
        let bytes = Data(json.bytes)
        let object = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        #expect(object["a"] as? String == tricky)
        #expect(object["b"] as? [Int] == [1, -2, 3])
        #expect(object["c"] is NSNull)
        #expect(object["d"] as? Bool == true)
        #expect((object["e"] as? [String: Any])?["x"] as? [String] == [])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"a":"quote \" backslash \\ slash / newline \n tab \t nul \u0000 bell \u0007"#))
        #expect(text.hasSuffix(#","b":[1,-2,3],"c":null,"d":true,"e":{"x":[]}}"#))
    }
}
