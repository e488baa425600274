/// The program names a deployment lets jobs run. Checked when a job is created and
/// again by the worker right before it runs anything.
public struct CommandAllowlist: Hashable, Sendable {
    public let commands: Set<String>
    public init(_ commands: some Sequence<String>) { self.commands = Set(commands) }

    public static let standard = CommandAllowlist(["echo", "sleep", "true", "false", "date", "uname", "sha256sum"])

    public func allows(_ command: String) -> Bool { commands.contains(command) }
}
