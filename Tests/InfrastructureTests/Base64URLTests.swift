import Foundation
import Testing

@testable import Infrastructure

@Suite("Base64URL")
struct Base64URLTests {
    /// What RFC 4648 §5 says, computed the slow way through Foundation.
    private func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
    }

    @Test("encodes like RFC 4648 §5 and decodes back, for every length and every byte value")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { index in
                length == 70 ? UInt8(index * 4 % 256) : UInt8.random(in: 0...255, using: &generator)
            }
            let text = Base64URL.encode(bytes)
            #expect(text == reference(bytes))
            #expect(Base64URL.decode(Substring(text)) == Data(bytes))
        }
        let every = (0...255).map(UInt8.init)
        #expect(Base64URL.decode(Substring(Base64URL.encode(every))) == Data(every))
    }

    @Test("refuses padding, the standard alphabet's + and /, impossible lengths and stray bits")
    func refusals() {
        #expect(Base64URL.decode("QQ==") == nil)
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("abcde") == nil)
        #expect(Base64URL.decode("ab c") == nil)
        #expect(Base64URL.decode("QR") == nil)  // "QQ" is "A"; "QR" sets bits beyond the data
        #expect(Base64URL.decode("QQ") == Data([0x41]))
        #expect(Base64URL.decode("") == Data())
    }
}
