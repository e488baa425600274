import Application
import Testing

@testable import HTTP

@Suite("Authorization header parsing")
struct BearerTokenTests {
    @Test("the scheme in any case, blanks around the token ignored; anything else is no token")
    func parsing() {
        #expect(AuthenticationMiddleware.bearerToken("Bearer abc.def") == "abc.def")
        #expect(AuthenticationMiddleware.bearerToken("bEaReR   abc \t") == "abc")
        #expect(AuthenticationMiddleware.bearerToken("Bearer ") == nil)
        #expect(AuthenticationMiddleware.bearerToken("Bearer    ") == nil)
        #expect(AuthenticationMiddleware.bearerToken("Bearer") == nil)
        #expect(AuthenticationMiddleware.bearerToken("Basic abc") == nil)
        #expect(AuthenticationMiddleware.bearerToken("Bearer\u{0}abc") == nil)
        #expect(AuthenticationMiddleware.bearerToken("Bearerxabc") == nil)
    }
}
