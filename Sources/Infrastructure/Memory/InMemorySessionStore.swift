public import Domain
public import Foundation
public import Ports
import Synchronization

/// Sessions and their refresh tokens in memory.
public final class InMemorySessionStore: SessionStore {
    private struct TokenRecord {
        let session: SessionID
        let expiresAt: Date
        var spent: Bool
    }

    private struct State {
        var sessions: [SessionID: Session] = [:]
        var tokens: [RefreshTokenHash: TokenRecord] = [:]
    }

    private let state = Mutex(State())
    private let audit: InMemoryAuditTrail

    public init(audit: InMemoryAuditTrail = InMemoryAuditTrail()) { self.audit = audit }

    public func create(_ session: Session, token: RefreshTokenHash, audit record: AuditRecord?) async throws {
        try state.withLock { state in
            guard state.sessions[session.id] == nil, state.tokens[token] == nil else { throw PortError.duplicate }
            state.sessions[session.id] = session
            state.tokens[token] = TokenRecord(session: session.id, expiresAt: session.expiresAt, spent: false)
            audit.write(record.map { [$0] } ?? [])
        }
    }

    public func rotate(
        presented: RefreshTokenHash, next: RefreshTokenHash, expiresAt: Date, now: Date, context: AuditContext
    ) async throws -> RefreshRotation {
        state.withLock { state in
            guard let record = state.tokens[presented], var session = state.sessions[record.session] else { return .unknown }
            switch session.verdict(tokenSpent: record.spent, tokenExpiresAt: record.expiresAt, now: now) {
            case .reject:
                return .rejected
            case .revokeSession:
                let revoked = session.revokedForReuse(at: now)
                state.sessions[session.id] = revoked
                audit.write([.refreshTokenReused(revoked, at: now, context: context)])
                return .reused(revoked)
            case .rotate:
                break
            }
            state.tokens[presented]?.spent = true
            state.tokens[next] = TokenRecord(session: session.id, expiresAt: expiresAt, spent: false)
            session.expiresAt = expiresAt
            state.sessions[session.id] = session
            return .rotated(session)
        }
    }

    public func session(id: SessionID) async throws -> Session? { state.withLock { $0.sessions[id] } }

    public func session(token: RefreshTokenHash) async throws -> Session? {
        state.withLock { state in state.tokens[token].flatMap { state.sessions[$0.session] } }
    }

    public func revoke(_ id: SessionID, reason: RevocationReason, at now: Date, audit record: AuditRecord?) async throws
        -> Session?
    {
        state.withLock { state in
            guard var session = state.sessions[id], !session.isRevoked else { return nil }
            session.revokedAt = now
            session.revocationReason = reason
            state.sessions[id] = session
            audit.write(record.map { [$0] } ?? [])
            return session
        }
    }

    public func revokeAll(
        of user: UserID, except: SessionID?, reason: RevocationReason, at now: Date, audit record: AuditRecord?
    ) async throws -> [Session] {
        state.withLock { state in
            audit.write(record.map { [$0] } ?? [])
            var revoked: [Session] = []
            for (id, var session) in state.sessions where session.userID == user && id != except && !session.isRevoked {
                session.revokedAt = now
                session.revocationReason = reason
                state.sessions[id] = session
                revoked.append(session)
            }
            return revoked
        }
    }

    public func revoked(since: Date) async throws -> [Session] {
        state.withLock { state in
            state.sessions.values.filter { ($0.revokedAt ?? .distantPast) >= since }
        }
    }

    public func purge(endedBefore cutoff: Date) async throws -> Int {
        state.withLock { state in
            let ended = Set(state.sessions.values.filter { ($0.revokedAt ?? $0.expiresAt) < cutoff }.map(\.id))
            for id in ended { state.sessions[id] = nil }
            state.tokens = state.tokens.filter { !ended.contains($0.value.session) }
            return ended.count
        }
    }
}
