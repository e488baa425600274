import Domain
import Foundation
import Ports
import Testing

@Suite("Contract: job queue (dispatches, events, stops)")
struct JobQueueContract {
    /// Whole milliseconds: the wire format carries times to the millisecond.
    static var now: Date { Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000) }

    static func dispatch(priority: Int) -> JobDispatch {
        JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, command: "echo", args: ["x"],
            priority: priority, timeoutSeconds: 30, occurredAt: now)
    }

    @Test("dispatches arrive highest priority first, at most prefetch at a time", arguments: Adapters.queues)
    func priorityAndPrefetch(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            let low = Self.dispatch(priority: 0)
            let high = Self.dispatch(priority: 9)
            let mid = Self.dispatch(priority: 5)
            try await queue.publish([.dispatch(low), .dispatch(high), .dispatch(mid)])
            let stream = try await queue.dispatches(prefetch: 1)
            var iterator = stream.makeAsyncIterator()
            let first = try #require(try await iterator.next())
            #expect(first.message == high && !first.redelivered)
            // With prefetch 1 nothing more comes until the first is settled.
            let second = Task { try await iterator.next() }
            try await Task.sleep(for: .milliseconds(100))
            try await first.ack()
            #expect(try await second.value?.message == mid)
        }
    }

    @Test("a requeued dispatch comes back marked redelivered; a rejected one never does", arguments: Adapters.queues)
    func settlement(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            let dispatch = Self.dispatch(priority: 0)
            let poison = Self.dispatch(priority: 0)
            try await queue.publish([.dispatch(dispatch)])
            var iterator = try await queue.dispatches(prefetch: 2).makeAsyncIterator()
            let first = try #require(try await iterator.next())
            try await first.requeue()
            let again = try #require(try await iterator.next())
            #expect(again.message == dispatch && again.redelivered)
            try await again.ack()
            try await queue.publish([.dispatch(poison)])
            try await (try #require(try await iterator.next())).reject(reason: "a test sets it aside")
            let next = Task { try await iterator.next() }
            try await Task.sleep(for: .milliseconds(100))
            next.cancel()
        }
    }

    @Test("what a vanished consumer did not settle goes to another consumer", arguments: Adapters.queues)
    func consumerLoss(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            let dispatch = Self.dispatch(priority: 0)
            try await queue.publish([.dispatch(dispatch)])
            let doomed = Task {
                var iterator = try await queue.dispatches(prefetch: 1).makeAsyncIterator()
                return try await iterator.next()?.message
            }
            #expect(try await doomed.value == dispatch)  // received, never settled; its stream is gone
            var survivor = try await queue.dispatches(prefetch: 1).makeAsyncIterator()
            let redelivered = try #require(try await survivor.next())
            #expect(redelivered.message == dispatch && redelivered.redelivered)
            try await redelivered.ack()
        }
    }

    @Test(
        "a consumer that stops its intake keeps what it holds until it settles it: nothing is handed to another meanwhile",
        arguments: Adapters.queues)
    func stopIntake(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            let running = [Self.dispatch(priority: 9), Self.dispatch(priority: 8)]
            let waiting = Self.dispatch(priority: 0)
            try await queue.publish([.dispatch(running[0]), .dispatch(running[1]), .dispatch(waiting)])
            let intake = try await queue.dispatches(prefetch: 2)
            var iterator = intake.makeAsyncIterator()
            let held = [try #require(try await iterator.next()), try #require(try await iterator.next())]
            #expect(held.map(\.message) == running)
            intake.stopIntake()
            // The intake ends; whatever it still yields was not started: it goes back.
            while let extra = try await iterator.next() { try await extra.requeue() }
            // Another worker gets only what was not running here.
            var other = try await queue.dispatches(prefetch: 5).makeAsyncIterator()
            let next = try #require(try await other.next())
            #expect(next.message == waiting)
            try await next.ack()
            let more = Task { try await other.next() }
            try await Task.sleep(for: .milliseconds(500))
            // The runs finish here, and are settled here, on the subscription that stopped.
            for delivery in held { try await delivery.ack() }
            try await Task.sleep(for: .milliseconds(500))
            more.cancel()
            #expect(try await more.value == nil, "a delivery held by the stopped consumer was handed to another one")
        }
    }

    @Test("events arrive in the order they were published", arguments: Adapters.queues)
    func eventsInOrder(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            let job = JobID(UUID())
            let kinds: [JobEvent.Kind] = [
                .started, .output(OutputChunk(stdout: "a")), .finished(.succeeded, output: OutputChunk()),
            ]
            let events = kinds.map {
                JobEvent(eventID: UUID(), jobID: job, attempt: 1, workerID: "w", occurredAt: Self.now, kind: $0)
            }
            for event in events { try await queue.publish(event) }
            var iterator = try await queue.events(prefetch: 10).makeAsyncIterator()
            var received: [JobEvent] = []
            for _ in events {
                let delivery = try #require(try await iterator.next())
                received.append(delivery.message)
                try await delivery.ack()
            }
            #expect(received == events)
        }
    }

    @Test("a stop reaches every subscriber", arguments: Adapters.queues)
    func stopsFanOut(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            var first = try await queue.stopRequests().makeAsyncIterator()
            var second = try await queue.stopRequests().makeAsyncIterator()
            let stop = StopRequest(eventID: UUID(), jobID: JobID(UUID()), occurredAt: Self.now)
            try await queue.publish([.stop(stop)])
            #expect(try await first.next() == stop)
            #expect(try await second.next() == stop)
        }
    }

    @Test(
        "a stop that no subscriber hears is sent, and the dispatch published with it arrives once",
        arguments: Adapters.queues)
    func stopWithoutSubscribers(adapter: Adapter<any JobQueueUnderTest>) async throws {
        try await adapter.run { queue in
            // No worker is connected: the stop reaches no queue. That must not fail the
            // batch (the relay would retry it, and the dispatch with it, until a worker
            // came), nor send the dispatch twice.
            let stop = StopRequest(eventID: UUID(), jobID: JobID(UUID()), occurredAt: Self.now)
            let dispatch = Self.dispatch(priority: 0)
            try await queue.publish([.stop(stop), .dispatch(dispatch)])
            var iterator = try await queue.dispatches(prefetch: 2).makeAsyncIterator()
            let first = try #require(try await iterator.next())
            #expect(first.message == dispatch && !first.redelivered)
            try await first.ack()
            let next = Task { try await iterator.next() }
            try await Task.sleep(for: .milliseconds(300))
            next.cancel()
            let duplicate = try? await next.value
            #expect(duplicate == nil, "the dispatch came twice")
        }
    }
}
