/// The errors every adapter translates its driver's errors into. Callers never see a
/// driver error, and nothing a driver says reaches a client.
public enum PortError: Error, Hashable, Sendable {
    /// A uniqueness rule was broken (e.g. an email that is taken).
    case duplicate
    /// The thing to change does not exist.
    case notFound
    /// The backing service did not answer (down, timed out, overloaded). Worth retrying.
    case unavailable
    /// The backing service answered and refused the data itself (a value it cannot hold,
    /// a broken constraint): the same request will fail the same way. Not worth retrying.
    case rejected
    /// This process has more of this work waiting than it will queue (password hashing):
    /// try again shortly. Nothing is wrong with the request.
    case busy
}
