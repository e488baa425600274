public import Domain
public import Ports

/// What a job printed so far (a running job's output lags by at most a flush interval).
public struct GetJobOutput: Sendable {
    let jobs: any JobRepository
    let getJob: GetJob

    public init(jobs: any JobRepository, cache: any Cache) {
        self.jobs = jobs
        self.getJob = GetJob(jobs: jobs, cache: cache)
    }

    public func callAsFunction(caller: AccessClaims, id: JobID) async throws -> JobOutput {
        _ = try await getJob(caller: caller, id: id)
        return try await jobs.output(of: id) ?? JobOutput()
    }
}
