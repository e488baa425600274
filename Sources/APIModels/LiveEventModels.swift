/// The data of a job's live events (`GET /api/v1/jobs/{id}/events`) that a client acts
/// on: `output` carries text, `reset` a new attempt, `status` the job's status.
public struct LiveEventData: Codable, Sendable {
    /// `output`: `stdout` or `stderr`.
    public var stream: String?
    public var text: String?
    /// `reset`: the attempt whose output starts over.
    public var attempt: Int?
    /// `status`: the job's status.
    public var status: String?
}
