public import Application

/// The use cases the HTTP layer maps routes to; built by a composition root.
public struct APIUseCases: Sendable {
    public let register: RegisterUser
    public let login: Login
    public let refresh: RefreshSession
    public let logout: Logout
    public let changePassword: ChangePassword
    public let authenticate: AuthenticateAccessToken
    public let profile: GetProfile
    public let createJob: CreateJob
    public let listJobs: ListJobs
    public let getJob: GetJob
    public let stopJob: StopJob
    public let jobOutput: GetJobOutput
    public let followJob: FollowJob
    public let watchJobs: WatchJobs
    public let overview: GetOverview
    public let auditEntries: ListAuditEntries
    public let mfa: MFAUseCases
    public let accountMail: AccountMailUseCases
    public let artifacts: JobArtifacts
    public let uploadFile: UploadFile

    public init(
        register: RegisterUser, login: Login, refresh: RefreshSession, logout: Logout, changePassword: ChangePassword,
        authenticate: AuthenticateAccessToken, profile: GetProfile, createJob: CreateJob, listJobs: ListJobs,
        getJob: GetJob, stopJob: StopJob, jobOutput: GetJobOutput, followJob: FollowJob, watchJobs: WatchJobs,
        overview: GetOverview, auditEntries: ListAuditEntries, mfa: MFAUseCases,
        accountMail: AccountMailUseCases, artifacts: JobArtifacts, uploadFile: UploadFile
    ) {
        self.artifacts = artifacts
        self.uploadFile = uploadFile
        self.accountMail = accountMail
        self.auditEntries = auditEntries
        self.mfa = mfa
        self.register = register
        self.login = login
        self.refresh = refresh
        self.logout = logout
        self.changePassword = changePassword
        self.authenticate = authenticate
        self.profile = profile
        self.createJob = createJob
        self.listJobs = listJobs
        self.getJob = getJob
        self.stopJob = stopJob
        self.jobOutput = jobOutput
        self.followJob = followJob
        self.watchJobs = watchJobs
        self.overview = overview
    }
}

/// What the links in account mail lead to, and the request for a reset link.
public struct AccountMailUseCases: Sendable {
    public let requestPasswordReset: RequestPasswordReset
    public let resetPassword: ResetPassword
    public let verifyEmail: VerifyEmail

    public init(requestPasswordReset: RequestPasswordReset, resetPassword: ResetPassword, verifyEmail: VerifyEmail) {
        self.requestPasswordReset = requestPasswordReset
        self.resetPassword = resetPassword
        self.verifyEmail = verifyEmail
    }
}

/// The two-factor use cases, grouped: one route family.
public struct MFAUseCases: Sendable {
    public let enrol: EnrolTOTP
    public let confirm: ConfirmTOTP
    public let complete: CompleteMFALogin
    public let disable: DisableTOTP
    public let status: GetMFAStatus

    public init(enrol: EnrolTOTP, confirm: ConfirmTOTP, complete: CompleteMFALogin, disable: DisableTOTP, status: GetMFAStatus) {
        self.enrol = enrol
        self.confirm = confirm
        self.complete = complete
        self.disable = disable
        self.status = status
    }
}
