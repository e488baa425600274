import HTTPTypes
import Synchronization

/// Headers that inner middleware wants on the response whatever it turns out to be,
/// error responses included (e.g. the `RateLimit` headers). The envelope applies them.
final class ResponseHeaderBag: Sendable {
    private let fields = Mutex<HTTPFields>([:])

    func set(_ name: HTTPField.Name, _ value: String) { fields.withLock { $0[name] = value } }

    func value(_ name: HTTPField.Name) -> String? { fields.withLock { $0[name] } }

    func apply(to headers: inout HTTPFields) {
        fields.withLock { stored in
            for field in stored { headers[field.name] = field.value }
        }
    }
}
