import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Runtime

/// The start-up every process shares: the work starts only behind the gate (PostgreSQL
/// answers with this build's schema), a gate that fails ends the process with its
/// error, and a shutdown while the gate waits starts nothing.
@Suite("Process start-up: the gate")
struct ProcessGroupTests {
    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    struct Recorder: Service {
        let started: Flag
        func run() async throws {
            started.set()
            try? await gracefulShutdown()
        }
    }

    struct SchemaBehind: Error {}

    static let logger = Logger(label: "test")

    @Test("the work starts once the gate passes, not before")
    func opens() async throws {
        let started = Flag()
        let open = Flag()
        let gated = GatedServices(
            gate: {
                while !open.isSet { try await Task.sleep(for: .milliseconds(10)) }
            }, services: [Recorder(started: started)], logger: Self.logger)
        let group = ServiceGroup(services: [gated], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(!started.isSet)
            open.set()
            for _ in 0..<100 where !started.isSet { try await Task.sleep(for: .milliseconds(10)) }
            #expect(started.isSet)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("a gate that fails ends the group with its error, and the work never starts")
    func fails() async throws {
        let started = Flag()
        let gated = GatedServices(gate: { throw SchemaBehind() }, services: [Recorder(started: started)], logger: Self.logger)
        await #expect(throws: SchemaBehind.self) { try await ServiceGroup(services: [gated], logger: Self.logger).run() }
        #expect(!started.isSet)
    }

    @Test("a shutdown while the gate still waits ends it at once and starts nothing")
    func shutdownWhileWaiting() async throws {
        let started = Flag()
        let gated = GatedServices(
            gate: { try await Task.sleep(for: .seconds(3600)) }, services: [Recorder(started: started)], logger: Self.logger)
        let group = ServiceGroup(services: [gated], logger: Self.logger)
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - began < .seconds(10))
        #expect(!started.isSet)
    }
}
