import Domain
import Foundation
import Ports
import Testing

func makeUser(_ email: String, role: Role = .user, at now: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> User {
    User(
        id: UserID(UUID()), email: try! Email(email), username: nil, role: role,
        passwordHash: PasswordHash("$2b$04$hash"), createdAt: now, updatedAt: now)
}

@Suite("Contract: UserRepository")
struct UserRepositoryContract {
    @Test("stores and finds accounts by id and by email", arguments: Adapters.userRepositories)
    func roundTrip(adapter: Adapter<any UserRepository>) async throws {
        try await adapter.run { users in
            var user = makeUser("alice@example.com")
            user.username = try Username("alice")
            let stored = try await users.insert(user, promoteIfNoAdmin: false, audit: { .registration(of: $0, context: .none) })
            #expect(stored == user)
            #expect(try await users.user(id: user.id) == user)
            #expect(try await users.user(email: try Email("ALICE@example.com")) == user)
            #expect(try await users.user(id: UserID(UUID())) == nil)
            #expect(try await users.user(email: try Email("nobody@example.com")) == nil)
        }
    }

    @Test("a taken email is a duplicate", arguments: Adapters.userRepositories)
    func duplicate(adapter: Adapter<any UserRepository>) async throws {
        try await adapter.run { users in
            _ = try await users.insert(
                makeUser("bob@example.com"), promoteIfNoAdmin: false, audit: { .registration(of: $0, context: .none) })
            await #expect(throws: PortError.duplicate) {
                try await users.insert(
                    makeUser("bob@example.com"), promoteIfNoAdmin: false, audit: { .registration(of: $0, context: .none) })
            }
        }
    }

    @Test("only the first eligible registration becomes admin, even when many race", arguments: Adapters.userRepositories)
    func bootstrapAdmin(adapter: Adapter<any UserRepository>) async throws {
        try await adapter.run { users in
            let roles = try await withThrowingTaskGroup(of: Role.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await users.insert(
                            makeUser("racer\(index)@example.com"), promoteIfNoAdmin: true,
                            audit: { .registration(of: $0, context: .none) }
                        ).role
                    }
                }
                return try await group.reduce(into: [Role]()) { $0.append($1) }
            }
            #expect(roles.filter { $0 == .admin }.count == 1)
            #expect(roles.filter { $0 == .user }.count == 19)
            #expect(
                try await users.insert(
                    makeUser("late@example.com"), promoteIfNoAdmin: true, audit: { .registration(of: $0, context: .none) }
                ).role == .user)
        }
    }

    @Test("password hashes and roles change; unknown accounts are not found", arguments: Adapters.userRepositories)
    func updates(adapter: Adapter<any UserRepository>) async throws {
        try await adapter.run { users in
            let user = try await users.insert(
                makeUser("carol@example.com"), promoteIfNoAdmin: false, audit: { .registration(of: $0, context: .none) })
            let later = user.createdAt.addingTimeInterval(60)
            try await users.updatePasswordHash(PasswordHash("$2b$04$new"), for: user.id, at: later, audit: nil)
            let changed = try #require(try await users.user(id: user.id))
            #expect(changed.passwordHash == PasswordHash("$2b$04$new") && changed.updatedAt == later)
            let promoted = try await users.setRole(
                .viewer, forEmail: try Email("carol@example.com"), at: later,
                audit: { .roleChange(from: $0, to: $1, by: nil, via: "test", context: .none) })
            #expect(promoted.role == .viewer)
            #expect(try await users.user(id: user.id)?.role == .viewer)
            await #expect(throws: PortError.notFound) {
                try await users.updatePasswordHash(PasswordHash("x"), for: UserID(UUID()), at: later, audit: nil)
            }
            await #expect(throws: PortError.notFound) {
                try await users.setRole(
                    .admin, forEmail: try Email("ghost@example.com"), at: later,
                    audit: { .roleChange(from: $0, to: $1, by: nil, via: "test", context: .none) })
            }
        }
    }
}
