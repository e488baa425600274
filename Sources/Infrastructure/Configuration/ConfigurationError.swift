/// Settings that are missing or malformed: one line per problem, each naming the
/// variable, so that an operator fixes them all in one go. Values are never echoed
/// (they may be secrets).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let problems: [String]
    public var description: String { problems.joined(separator: "\n") }

    public init(problems: [String]) { self.problems = problems }

    /// What a process prints before it exits: a heading, then one indented line per problem.
    public var report: String { "configuration error:\n" + problems.map { "  " + $0 }.joined(separator: "\n") + "\n" }
}
