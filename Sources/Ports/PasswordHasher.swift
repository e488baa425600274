public import Domain

/// Hashes and checks passwords (bcrypt in production). Implementations must do the
/// slow work off the event loops.
public protocol PasswordHasher: Sendable {
    func hash(_ password: Password) async throws -> PasswordHash
    func verify(_ password: String, against hash: PasswordHash) async throws -> Bool
    /// Costs what `verify` costs against a real hash, and always fails: used for an
    /// unknown email so that its timing matches a wrong password.
    func verifyDecoy(_ password: String) async throws
    /// Whether a hash was made with other settings (e.g. another cost) and should be
    /// replaced after the next successful login.
    func needsRehash(_ hash: PasswordHash) -> Bool
}
