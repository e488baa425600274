// What the API reads. Field names are the wire names; `JSONBody` refuses any other.

struct RegisterRequest: Decodable {
    let email: String
    let password: String
    let username: String?
    static let fields: Set<String> = ["email", "password", "username"]
}

struct LoginRequest: Decodable {
    let email: String
    let password: String
    static let fields: Set<String> = ["email", "password"]
}

struct RefreshRequest: Decodable {
    let refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    static let fields: Set<String> = ["refresh_token"]
}

struct LogoutRequest: Decodable {
    let refreshToken: String?
    let all: Bool?
    enum CodingKeys: String, CodingKey {
        case refreshToken = "refresh_token"
        case all
    }
    static let fields: Set<String> = ["refresh_token", "all"]
}

struct ChangePasswordRequest: Decodable {
    let currentPassword: String
    let newPassword: String
    enum CodingKeys: String, CodingKey {
        case currentPassword = "current_password"
        case newPassword = "new_password"
    }
    static let fields: Set<String> = ["current_password", "new_password"]
}

struct PasswordResetRequest: Decodable {
    let email: String
    static let fields: Set<String> = ["email"]
}

struct PasswordResetConfirmRequest: Decodable {
    let token: String
    let newPassword: String
    enum CodingKeys: String, CodingKey {
        case token
        case newPassword = "new_password"
    }
    static let fields: Set<String> = ["token", "new_password"]
}

struct VerifyEmailRequest: Decodable {
    let token: String
    static let fields: Set<String> = ["token"]
}

// The job submission is `APIModels.JobSubmission`, shared with the `cloudtask` client.

struct MFALoginRequest: Decodable {
    let mfaToken: String
    let code: String?
    let recoveryCode: String?
    enum CodingKeys: String, CodingKey {
        case mfaToken = "mfa_token"
        case code
        case recoveryCode = "recovery_code"
    }
    static let fields: Set<String> = ["mfa_token", "code", "recovery_code"]
}

struct MFACodeRequest: Decodable {
    let code: String
    static let fields: Set<String> = ["code"]
}

struct MFADisableRequest: Decodable {
    let password: String
    let code: String
    static let fields: Set<String> = ["password", "code"]
}
