import Synchronization
import Testing

@testable import Infrastructure

@Suite("BatchingQueue")
struct BatchingQueueTests {
    struct Refused: Error, Equatable { let item: Int }

    @Test("concurrent calls share batches, and every call gets its own answer")
    func batches() async throws {
        let sizes = Mutex<[Int]>([])
        let queue = BatchingQueue<Int, Int>(
            maxBatch: 16,
            batch: { items in
                sizes.withLock { $0.append(items.count) }
                try await Task.sleep(for: .milliseconds(5))  // a transaction's worth of time
                return items.map { $0 * 10 }
            },
            single: { item in
                sizes.withLock { $0.append(1) }
                return item * 10
            })
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 0..<100 { group.addTask { (item, try await queue.submit(item)) } }
            return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 100 && answers.allSatisfy { $0.value == $0.key * 10 })
        let seen = sizes.withLock { $0 }
        #expect(seen.reduce(0, +) == 100)
        #expect(seen.allSatisfy { $0 <= 16 })
        #expect(seen.count < 100, "some calls were batched")
    }

    @Test("when a batch fails, its items are retried one by one: only the bad one fails")
    func isolation() async throws {
        let queue = BatchingQueue<Int, Int>(
            maxBatch: 64,
            batch: { items in
                if items.contains(13) { throw Refused(item: 13) }
                try await Task.sleep(for: .milliseconds(5))
                return items
            },
            single: { item in
                if item == 13 { throw Refused(item: 13) }
                return item
            })
        let results = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            for item in 0..<40 {
                group.addTask {
                    do { return (item, .success(try await queue.submit(item))) } catch {
                        return (item, .failure(error as! Refused))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<Int, Refused>]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 40)
        for (item, result) in results {
            if item == 13 { #expect(result == .failure(Refused(item: 13))) } else { #expect(result == .success(item)) }
        }
    }
}
