import Foundation
import Testing

/// librabbitmq decodes every publisher confirmation into the connection's buffer pool;
/// without a release the pool grew by about 40 bytes a message for the life of the
/// connection (measured: +160 KiB per 4,000 messages, linear). The benchmark runs in a
/// process of its own, so its heap is this connection's alone; the heap in use (bytes
/// allocated and not freed) is judged, not the resident set, which also moves with pages the
/// allocator keeps (a CI run saw 176 KiB of resident growth with the release in place). A load test:
/// the test command runs it apart from the other suites (`LoadTests`), since thousands
/// of persistent publishes keep the broker and both cores busy.
@Suite("End to end: the publishing connection's memory")
struct PublisherMemoryLoadTests {
    static let url = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_AMQP_URL"]

    @Test(
        "12,000 confirmed publishes on one connection: memory is flat once warmed up",
        .enabled(if: url != nil, "needs the test RabbitMQ (scripts/test.sh starts one)"))
    func flatMemory() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.build/debug/cloudtask-bench")
        process.arguments = ["amqp-publisher-memory", "--url", Self.url!, "--messages", "12000"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Read and wait on a thread of its own: a blocking wait on the shared pool (two
        // threads on two cores) would stall every other test meanwhile.
        let data: Data = await withCheckedContinuation { continuation in
            Thread {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }.start()
        }
        #expect(process.terminationStatus == 0)
        // messages,rss_kib,heap_kib,heap_growth_kib rows after the header.
        let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line -> (Int, Int)? in
            let fields = line.split(separator: ",").compactMap { Int($0) }
            return fields.count == 4 ? (fields[0], fields[2]) : nil
        }
        #expect(rows.count == 6)
        guard rows.count == 6 else { return }
        // The first blocks still warm up (allocator arenas, the pool's first pages). From
        // the second block to the last, 7,200 messages: without the release ~40 bytes each,
        // about 280 KiB; with it, flat (measured: under 16 KiB).
        let (first, last) = (rows[2], rows[5])
        #expect(last.1 - first.1 < 96, "resident set grew \(last.1 - first.1) KiB over \(last.0 - first.0) messages")
    }
}
