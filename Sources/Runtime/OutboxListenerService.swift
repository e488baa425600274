import Consumers
import Infrastructure
public import Logging
public import Ports
public import PostgresNIO
public import ServiceLifecycle

/// Rings the local relay's doorbell on every `NOTIFY cloudtask_outbox`, so a job
/// created on any API instance is published within milliseconds. It holds one
/// connection of the pool while it listens, and listens again after a failure.
public struct OutboxListenerService: Service {
    let client: PostgresClient
    let doorbell: any OutboxSignal
    let logger: Logger

    public init(client: PostgresClient, doorbell: any OutboxSignal, logger: Logger) {
        self.client = client
        self.doorbell = doorbell
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        // Waiting for notifications does not end on cancellation by itself:
                        // closing the connection ends it, and gives the connection back.
                        try await withTaskCancellationHandler {
                            try await connection.listen(on: PostgresOutboxNotifier.channel) { notifications in
                                doorbell.outboxChanged()  // whatever was written before we listened
                                for try await _ in notifications { doorbell.outboxChanged() }
                            }
                        } onCancel: {
                            Task { try? await connection.close() }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.debug("outbox listener interrupted; listening again", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
