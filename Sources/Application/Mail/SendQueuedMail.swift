import Domain
import Foundation
public import Ports

/// Sends what is due: claims a batch, makes each message, hands it to the transport and
/// records the outcome. Delivery is at least once (a sender that dies after the server
/// accepted a message sends it again when its lease ends); a transient failure is retried
/// with backoff, a permanent one or the last attempt dead-letters the mail.
public struct SendQueuedMail: Sendable {
    let queue: any MailQueue
    let users: any UserRepository
    let jobs: any JobRepository
    let transport: any MailTransport
    let composer: MailComposer
    let settings: MailSettings
    let clock: any WallClock
    let random: any RandomSource
    /// How long a claimed mail is hidden from other senders: longer than a send can take.
    let leaseSeconds: Int

    public init(
        queue: any MailQueue, users: any UserRepository, jobs: any JobRepository, transport: any MailTransport,
        composer: MailComposer, settings: MailSettings, clock: any WallClock, random: any RandomSource,
        leaseSeconds: Int = 300
    ) {
        self.queue = queue
        self.users = users
        self.jobs = jobs
        self.transport = transport
        self.composer = composer
        self.settings = settings
        self.clock = clock
        self.random = random
        self.leaseSeconds = leaseSeconds
    }

    /// Sends up to `limit` due mails, one after the other; returns what became of each
    /// (for the metrics and the log).
    @discardableResult
    public func callAsFunction(limit: Int = 20) async throws -> [(kind: MailKind, outcome: MailAttemptOutcome)] {
        let claimed = try await queue.claim(now: clock.now(), limit: limit, leaseSeconds: leaseSeconds)
        var outcomes: [(kind: MailKind, outcome: MailAttemptOutcome)] = []
        for mail in claimed {
            let outcome = await attempt(mail)
            try await queue.finish(mail.draft.id, outcome, at: clock.now())
            outcomes.append((mail.draft.kind, outcome))
        }
        return outcomes
    }

    func attempt(_ mail: QueuedMail) async -> MailAttemptOutcome {
        let draft = mail.draft
        let now = clock.now()
        if let notAfter = draft.notAfter, now >= notAfter { return .dropped(reason: "expired before it could be sent") }
        let user: User?
        let job: Job?
        do {
            user = try await users.user(id: draft.accountID)
            job = try await draft.jobID.asyncMap { try await jobs.job(id: $0) } ?? nil
        } catch {
            return retry(mail, error: "the store is unavailable")
        }
        guard let user else { return .dropped(reason: "the account is gone") }
        switch composer.compose(draft, user: user, job: job) {
        case .drop(let reason):
            return .dropped(reason: reason)
        case .send(let message):
            do {
                try await transport.send(message)
                return .sent
            } catch MailDeliveryError.permanent(let reason) {
                return .dead(error: reason)
            } catch MailDeliveryError.transient(let reason) {
                return retry(mail, error: reason)
            } catch {
                return retry(mail, error: "\(error)")
            }
        }
    }

    func retry(_ mail: QueuedMail, error: String) -> MailAttemptOutcome {
        let attempt = mail.attempts + 1
        guard attempt < settings.maxAttempts else { return .dead(error: error) }
        let delay = settings.backoff.delay(afterAttempt: attempt, jitter: random.unitInterval())
        return .retry(at: clock.now().addingTimeInterval(delay), error: error)
    }
}

extension MailAttemptOutcome {
    /// The outcome's name in metrics and logs.
    public var label: String {
        switch self {
        case .sent: "sent"
        case .retry: "retry"
        case .dead: "dead"
        case .dropped: "dropped"
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
