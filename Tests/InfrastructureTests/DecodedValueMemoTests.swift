import Testing

@testable import Infrastructure

@Suite("DecodedValueMemo")
struct DecodedValueMemoTests {
    struct Thing: Codable, Equatable, Sendable { let name: String }

    @Test("new bytes under a key give the new value; the same bytes give the same value; garbage is a miss")
    func decoding() {
        let memo = DecodedValueMemo(capacity: 2)
        let first = Array(#"{"name":"a"}"#.utf8)
        let second = Array(#"{"name":"b"}"#.utf8)
        #expect(memo.decode(Thing.self, key: "k", from: first) == Thing(name: "a"))
        #expect(memo.decode(Thing.self, key: "k", from: first) == Thing(name: "a"))
        #expect(memo.decode(Thing.self, key: "k", from: second) == Thing(name: "b"))
        #expect(memo.decode(Thing.self, key: "k", from: Array("not json".utf8)) == nil)
        #expect(memo.decode(Thing.self, key: "k", from: second) == Thing(name: "b"))
        // Past its capacity it starts again, and still answers right.
        for index in 0..<5 { #expect(memo.decode(Thing.self, key: "k\(index)", from: first) == Thing(name: "a")) }
        #expect(memo.decode(Thing.self, key: "k", from: second) == Thing(name: "b"))
    }
}
