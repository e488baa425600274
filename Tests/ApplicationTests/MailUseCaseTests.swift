import Application
import Domain
import Foundation
import Infrastructure
import Ports
import Synchronization
import Testing

/// A transport that fails as scripted, then accepts.
final class ScriptedTransport: MailTransport {
    let script: Mutex<[MailDeliveryError]>
    let accepted = Mutex<[OutgoingMail]>([])
    init(_ failures: [MailDeliveryError]) { script = Mutex(failures) }

    func send(_ mail: OutgoingMail) async throws {
        if let failure = script.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        accepted.withLock { $0.append(mail) }
    }
}

@Suite("Use cases: mail")
struct MailUseCaseTests {
    struct World {
        let clock = TestClock()
        let audit = InMemoryAuditTrail()
        let queue = InMemoryMailQueue()
        let users: InMemoryUserRepository
        let jobs: InMemoryJobStore
        let settings = MailSettings(maxAttempts: 3, backoff: Backoff(baseSeconds: 10, capSeconds: 100))
        let links = HMACLinkTokens(secret: SigningKey(secret: String(repeating: "s", count: 32))!)

        init() {
            users = InMemoryUserRepository(audit: audit)
            jobs = InMemoryJobStore(audit: audit, mail: queue)
        }

        func plan() async throws -> Int { try await PlanAccountMail(queue: queue, audit: audit, settings: settings)() }

        func send(_ transport: any MailTransport) async throws -> [MailAttemptOutcome] {
            try await SendQueuedMail(
                queue: queue, users: users, jobs: jobs, transport: transport,
                composer: MailComposer(links: links, settings: settings), settings: settings, clock: clock,
                random: FixedRandom(value: 1)
            )().map(\.outcome)
        }

        func register(_ email: String, from address: String) async throws -> User {
            let now = clock.now()
            let user = User(
                id: UserID(UUID()), email: try Email(email), username: nil, role: .user,
                passwordHash: PasswordHash("$2b$04$h"), createdAt: now, updatedAt: now)
            return try await users.insert(user, promoteIfNoAdmin: false) {
                .registration(of: $0, context: AuditContext(clientAddress: address))
            }
        }

        func login(_ user: User, from address: String) async throws {
            try await audit.append(
                AuditRecord(
                    at: clock.now(), action: .loginSucceeded, actor: user.id, account: user.id,
                    context: AuditContext(clientAddress: address)))
        }
    }

    @Test("a transient failure is retried after the backoff; the last attempt, or a permanent refusal, dead-letters")
    func retries() async throws {
        let world = World()
        _ = try await world.register("a@example.com", from: "192.0.2.1")
        #expect(try await world.plan() == 1)
        let transport = ScriptedTransport([.transient("451 later"), .transient("connection refused"), .transient("451")])
        #expect(try await world.send(transport) == [.retry(at: world.clock.now().addingTimeInterval(10), error: "451 later")])
        #expect(try await world.send(transport).isEmpty)  // not due yet
        world.clock.advance(10)
        #expect(
            try await world.send(transport) == [.retry(at: world.clock.now().addingTimeInterval(20), error: "connection refused")]
        )
        world.clock.advance(20)
        #expect(try await world.send(transport) == [.dead(error: "451")])
        #expect(world.queue.all().map(\.state) == ["dead"] && world.queue.all().first?.attempts == 3)

        _ = try await world.register("b@example.com", from: "192.0.2.2")
        _ = try await world.plan()
        #expect(
            try await world.send(ScriptedTransport([.permanent("550 no such mailbox")])) == [.dead(error: "550 no such mailbox")])
        _ = try await world.register("c@example.com", from: "192.0.2.3")
        _ = try await world.plan()
        let working = ScriptedTransport([])
        #expect(try await world.send(working) == [.sent])
        #expect(working.accepted.withLock { $0.map(\.to.value) } == ["c@example.com"])
    }

    @Test("a reset mail not sent within its link's life is dropped, not sent late")
    func expiredReset() async throws {
        let world = World()
        let user = try await world.register("d@example.com", from: "192.0.2.4")
        try await world.audit.append(
            AuditRecord(at: world.clock.now(), action: .passwordResetRequested, actor: nil, account: user.id, context: .none))
        #expect(try await world.plan() == 2)
        world.clock.advance(Double(world.settings.resetLinkSeconds))
        let outcomes = try await world.send(ScriptedTransport([]))
        #expect(outcomes.contains(.dropped(reason: "expired before it could be sent")) && outcomes.contains(.sent))
    }

    @Test("a login from an address the account never used is noticed; from a known one, and failures, are not")
    func newAddress() async throws {
        let world = World()
        let user = try await world.register("e@example.com", from: "192.0.2.5")
        try await world.login(user, from: "192.0.2.5")
        try await world.login(user, from: "198.51.100.7")
        try await world.login(user, from: "198.51.100.7")
        try await world.audit.append(
            AuditRecord(
                at: world.clock.now(), action: .loginSucceeded, outcome: .failure, actor: nil, account: user.id,
                context: AuditContext(clientAddress: "203.0.113.9")))
        _ = try await world.plan()
        let kinds = world.queue.all().map(\.draft.kind)
        #expect(kinds == [.welcome, .newLoginAddress])
        #expect(world.queue.all().last?.draft.details["address"] == "198.51.100.7")
        let transport = ScriptedTransport([])
        _ = try await world.send(transport)
        #expect(transport.accepted.withLock { $0.last?.text.contains("198.51.100.7") } == true)
    }

    @Test("links are bound: a changed password hash or address, another purpose, a flipped bit, or expiry all refuse")
    func linkTokens() throws {
        let links = HMACLinkTokens(secret: SigningKey(secret: String(repeating: "s", count: 32))!)
        let user = UserID(UUID())
        let expires = Date(timeIntervalSince1970: 1_900_000_000)
        let token = links.make(LinkClaims(purpose: .resetPassword, account: user, expiresAt: expires), binding: "hash-1")
        #expect(links.claims(of: token) == LinkClaims(purpose: .resetPassword, account: user, expiresAt: expires))
        #expect(links.verify(token, binding: "hash-1") && !links.verify(token, binding: "hash-2"))
        let other = HMACLinkTokens(secret: SigningKey(secret: String(repeating: "t", count: 32))!)
        #expect(!other.verify(token, binding: "hash-1"))
        var bytes = Array(token.utf8)
        for index in bytes.indices where bytes[index] != UInt8(ascii: ".") {
            let saved = bytes[index]
            bytes[index] = saved == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(!links.verify(String(decoding: bytes, as: UTF8.self), binding: "hash-1"))
            bytes[index] = saved
        }
        #expect(links.claims(of: String(repeating: "A", count: 200)) == nil && links.claims(of: "") == nil)
    }
}
