public import Domain
public import Ports

/// A page of jobs, newest first, with a cursor for the next page.
public struct ListJobs: Sendable {
    let jobs: any JobRepository

    public init(jobs: any JobRepository) { self.jobs = jobs }

    public struct Page: Sendable {
        public let jobs: [Job]
        public let nextCursor: String?
    }

    public static let limits = 1...100
    public static let defaultLimit = 20

    public func callAsFunction(caller: AccessClaims, status: JobStatus?, limit: Int?, cursor: String?, allOwners: Bool)
        async throws -> Page
    {
        let limit = limit ?? Self.defaultLimit
        var problems = ValidationCollector()
        if !Self.limits.contains(limit) { problems.add("limit", "must be 1 to 100") }
        let position = cursor.flatMap(JobCursorCodec.decode)
        if cursor != nil && position == nil { problems.add("cursor", "is not a cursor this server issued") }
        do { try problems.throwIfAny() } catch { throw UseCaseError.invalid(error) }
        if allOwners && !caller.role.maySeeAllJobs { throw UseCaseError.forbidden("only admins may list every user's jobs") }

        let found = try await jobs.list(
            JobQuery(
                owner: allOwners ? nil : caller.userID, status: status, limit: limit + 1, after: position))
        let page = Array(found.prefix(limit))
        let next =
            found.count > limit ? page.last.map { JobCursorCodec.encode(JobCursor(createdAt: $0.createdAt, id: $0.id)) } : nil
        return Page(jobs: page, nextCursor: next)
    }
}
