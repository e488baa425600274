import ArgumentParser
import CMalloc
import Foundation
import Infrastructure
import Logging

/// The publishing connection's memory over many confirmed publishes: this process's heap
/// in use (glibc's `mallinfo2`) and resident set after a warm-up and after every block of
/// publishes. librabbitmq decodes every confirmation into the connection's buffer pool,
/// which only `amqp_maybe_release_buffers` empties: without it the heap grows with every
/// message for the life of the connection. Flat figures are the expected result. The heap
/// figure is the one to judge by: it counts bytes allocated and not freed, while the
/// resident set also moves with pages the allocator keeps or returns.
struct AMQPPublisherMemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp-publisher-memory", abstract: "Heap in use while one connection publishes and confirms many messages.")

    @Option(help: "AMQP URL of a broker to publish to (a throwaway one: messages land in <prefix>jobs.dead).")
    var url = "amqp://guest:guest@127.0.0.1:5672/%2f"

    @Option(help: "Messages to publish, one confirmed batch each.")
    var messages = 20_000

    @Option(help: "Messages per confirmed batch.")
    var batch = 1

    func run() async throws {
        let prefix = "bench-\(UUID().uuidString.prefix(8).lowercased())."
        let settings = AMQPSettings(url: try AMQPURL(url), heartbeatSeconds: 30, timeout: .seconds(10), namePrefix: prefix)
        let publisher = AMQPPublisher(settings: settings, logger: Logger(label: "bench"))
        let body = Array(String(repeating: "x", count: 200).utf8)
        func publish(_ count: Int) async throws {
            var sent = 0
            while sent < count {
                let size = min(batch, count - sent)
                try await publisher.publish(
                    (0..<size).map { _ in
                        AMQPMessage(
                            exchange: prefix + "cloudtask.dead", routingKey: "bench", body: body, type: "bench",
                            messageID: UUID().uuidString.lowercased())
                    })
                sent += size
            }
        }
        try await publish(1_000)  // warm-up: the connection, the topology, the pool's first pages
        let start = Self.heapInUseKiB()
        print("method: one connection publishes \(messages) messages of 200 bytes, \(batch) per confirmed batch;")
        print("        heap in use (mallinfo2) and resident set (VmRSS) after a warm-up of 1,000 messages,")
        print("        then every \(messages / 5)")
        print("messages,rss_kib,heap_kib,heap_growth_kib")
        print("0,\(Self.residentKiB()),\(start),0")
        for block in 1...5 {
            try await publish(messages / 5)
            let now = Self.heapInUseKiB()
            print("\(block * messages / 5),\(Self.residentKiB()),\(now),\(now - start)")
        }
        await publisher.close()
    }

    /// Bytes handed out by malloc and not freed, in every arena, small blocks and mapped ones.
    static func heapInUseKiB() -> Int {
        let info = mallinfo2()
        return (info.uordblks + info.hblkhd) / 1024
    }

    static func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
