/// A lease held by one owner at a time across machines (the scheduler's leadership).
/// Renewal and release succeed only for the current owner (compare-and-set), so a
/// leader that stalled past its lease cannot release its successor's.
public protocol DistributedLock: Sendable {
    func acquire(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool
    func renew(_ name: String, owner: String, ttlSeconds: Int) async throws -> Bool
    func release(_ name: String, owner: String) async throws
}
