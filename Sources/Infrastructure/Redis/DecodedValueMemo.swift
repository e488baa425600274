import Foundation
import Synchronization

/// Remembers, per cache key, the last bytes read and the value decoded from them, so
/// that reading an entry that did not change since (a job polled by its owner, the
/// common case) costs a byte comparison instead of a JSON decode — which was a tenth of
/// the API's CPU on `GET /jobs/{id}`. Same bytes, same value: nothing here can be stale
/// that the bytes are not. Bounded: when full, it starts again.
final class DecodedValueMemo: Sendable {
    private struct Entry {
        let bytes: [UInt8]
        let value: any Sendable
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func decode<Value: Decodable & Sendable>(_ type: Value.Type, key: String, from bytes: [UInt8]) -> Value? {
        if let entry = entries.withLock({ $0[key] }), entry.bytes == bytes, let value = entry.value as? Value {
            return value
        }
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(bytes)) else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(bytes: bytes, value: value)
        }
        return value
    }
}
