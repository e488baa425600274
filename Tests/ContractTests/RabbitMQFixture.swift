import Foundation
import Infrastructure
import Logging
import Ports

/// Real RabbitMQ for the contract suites, when `CLOUDTASK_TEST_AMQP_URL` names one
/// (`scripts/test.sh` starts a throwaway node and sets it). Every test declares its own
/// exchanges and queues under a name prefix of its own.
enum RabbitMQFixture {
    static let url = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_AMQP_URL"].flatMap { try? AMQPURL($0) }
    static let logger = Logger(label: "contract-tests")

    static func settings(prefix: String = "test-\(UUID().uuidString.prefix(8).lowercased()).") -> AMQPSettings? {
        url.map { AMQPSettings(url: $0, heartbeatSeconds: 10, timeout: .seconds(5), namePrefix: prefix) }
    }

    /// The adapter and a raw publisher beside it, on names of their own.
    static func queueAndPublisher() throws -> (AMQPSettings, RabbitMQJobQueue, AMQPPublisher) {
        guard let settings = settings() else { throw FixtureUnavailable() }
        return (
            settings, RabbitMQJobQueue(settings: settings, logger: logger), AMQPPublisher(settings: settings, logger: logger)
        )
    }

    /// Closes both once the test is done (from a `defer`, which cannot wait).
    static func close(_ queue: RabbitMQJobQueue, _ raw: AMQPPublisher) {
        Task {
            await queue.close()
            await raw.close()
        }
    }

    struct FixtureUnavailable: Error {}

    static func adapter() -> [Adapter<any JobQueueUnderTest>] {
        guard url != nil else { return [] }
        return [
            Adapter(name: "rabbitmq") { body in
                let queue = RabbitMQJobQueue(settings: settings()!, reportPatience: .seconds(5), logger: logger)
                do {
                    try await body(queue)
                } catch {
                    await queue.close()
                    throw error
                }
                await queue.close()
            }
        ]
    }

    /// The body of the next message set aside on the dead-letter queue (acknowledged).
    static func nextDeadLetter(_ settings: AMQPSettings) async -> AMQPDelivery? {
        let dead = AMQPConsumer(settings: settings, queue: settings.namePrefix + "jobs.dead", prefetch: 1, logger: logger)
        defer { dead.close() }
        var letters = dead.deliveries.makeAsyncIterator()
        guard let letter = await letters.next() else { return nil }
        dead.settle(letter, .ack)
        return letter
    }
}
