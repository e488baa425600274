import Application
import Domain
import Foundation
import Ports
import Testing

/// The create rules every store applies (PostgreSQL over a batch, memory one at a time).
@Suite("Job creation rules")
struct JobCreationRulesTests {
    let alice = UserID(UUID()), bob = UserID(UUID())

    func job(_ owner: UserID, key: String? = nil) throws -> Job {
        Job(id: JobID(UUID()), ownerID: owner, request: try JobRequest(command: "echo"), idempotencyKey: key, now: Date())
    }

    @Test("a key the owner used before answers the earlier job; another owner's use of it does not")
    func idempotency() throws {
        let earlier = try job(alice, key: "k")
        var rules = JobCreationRules(earlier: [earlier], unfinished: [alice: 1])
        #expect(rules.decide(try job(alice, key: "k"), unfinishedLimit: 10) == .existing(earlier))
        let bobs = try job(bob, key: "k")
        #expect(rules.decide(bobs, unfinishedLimit: 10) == .created(bobs))
    }

    @Test("within a batch, a key and the unfinished count see the creates accepted before")
    func batch() throws {
        var rules = JobCreationRules(earlier: [], unfinished: [alice: 1])
        let first = try job(alice, key: "k")
        #expect(rules.decide(first, unfinishedLimit: 3) == .created(first))
        #expect(rules.decide(try job(alice, key: "k"), unfinishedLimit: 3) == .existing(first))
        let second = try job(alice)
        #expect(rules.decide(second, unfinishedLimit: 3) == .created(second))
        #expect(rules.decide(try job(alice), unfinishedLimit: 3) == .tooManyUnfinished(limit: 3))
        let bobs = try job(bob)
        #expect(rules.decide(bobs, unfinishedLimit: 3) == .created(bobs))
    }

    @Test("a refused create does not take the key: a later create with it is decided afresh")
    func refusedKeepsKeyFree() throws {
        var rules = JobCreationRules(earlier: [], unfinished: [alice: 2])
        #expect(rules.decide(try job(alice, key: "k"), unfinishedLimit: 2) == .tooManyUnfinished(limit: 2))
        let retried = try job(alice, key: "k")
        #expect(rules.decide(retried, unfinishedLimit: 3) == .created(retried))
    }
}
