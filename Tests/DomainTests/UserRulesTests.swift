import Domain
import Foundation
import Testing

@Suite("Users: email, username, password, roles, bootstrap admin")
struct UserRulesTests {
    @Test(
        "emails are trimmed and lower-cased",
        arguments: [
            ("  Alice@Example.COM ", "alice@example.com"),
            ("bob.smith+tag@mail.example.org", "bob.smith+tag@mail.example.org"),
        ])
    func normalisesEmail(raw: String, expected: String) throws {
        #expect(try Email(raw).value == expected)
    }

    @Test(
        "malformed emails are refused",
        arguments: [
            "", "plain", "@example.com", "a@", "a@b", "a b@example.com", "a@exa mple.com", "a@@example.com",
            "a@-example.com", "a@example..com", ".a@example.com", "a\u{0}@example.com",
            String(repeating: "a", count: 65) + "@example.com",
        ])
    func refusesEmail(raw: String) {
        #expect(throws: ValidationFailure.self) { try Email(raw) }
    }

    @Test("usernames are 3 to 32 of [A-Za-z0-9_.-]")
    func username() throws {
        #expect(try Username("a_b.c-9").value == "a_b.c-9")
        #expect(try Username(String(repeating: "x", count: 32)).value.count == 32)
        for bad in ["ab", String(repeating: "x", count: 33), "has space", "emoji😀", "semi;colon", ""] {
            #expect(throws: ValidationFailure.self) { try Username(bad) }
        }
    }

    @Test("passwords are 8 to 72 bytes without NUL")
    func password() throws {
        _ = try Password("12345678")
        _ = try Password(String(repeating: "é", count: 36))  // 72 bytes
        #expect(throws: ValidationFailure(field: "password", "must be 8 to 72 bytes")) { try Password("1234567") }
        #expect(throws: ValidationFailure.self) { try Password(String(repeating: "é", count: 37)) }  // 74 bytes
        #expect(throws: ValidationFailure(field: "password", "must not contain NUL characters")) {
            try Password("secret\u{0}password")
        }
        #expect(throws: ValidationFailure(field: "new_password", "must be 8 to 72 bytes")) {
            try Password("short", field: "new_password")
        }
    }

    @Test("permissions per role")
    func permissions() {
        let me = UserID(UUID())
        let other = UserID(UUID())
        #expect(Role.admin.mayCreateJobs && Role.user.mayCreateJobs && !Role.viewer.mayCreateJobs)
        #expect(Role.admin.maySeeAllJobs && !Role.user.maySeeAllJobs && !Role.viewer.maySeeAllJobs)
        #expect(Role.user.maySee(jobOwnedBy: me, caller: me))
        #expect(!Role.user.maySee(jobOwnedBy: other, caller: me))
        #expect(!Role.viewer.maySee(jobOwnedBy: other, caller: me))
        #expect(Role.admin.maySee(jobOwnedBy: other, caller: me))
    }

    @Test("only the configured email is eligible for bootstrap admin")
    func bootstrap() throws {
        let rule = BootstrapAdminRule(email: try Email("root@example.com"))
        #expect(rule.isEligible(try Email("ROOT@example.com ")))
        #expect(!rule.isEligible(try Email("other@example.com")))
        #expect(!BootstrapAdminRule(email: nil).isEligible(try Email("root@example.com")))
    }
}
