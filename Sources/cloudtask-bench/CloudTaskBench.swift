import ArgumentParser

/// Benchmarks that print figures. Nothing here asserts a speed: the machines are shared
/// and noisy, so numbers are read by people, next to the method that produced them.
@main
struct CloudTaskBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudtask-bench",
        abstract: "Print CloudTask's performance figures.",
        subcommands: [RedisBench.self, AMQPPublisherMemoryBench.self])
}
