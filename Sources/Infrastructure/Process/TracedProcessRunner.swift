public import Domain
public import Ports
import Telemetry
import Tracing

/// A process runner that records each run as a span, a child of the span of the work
/// that asked for it (the worker's run of a job): the program, how it ended (exit code,
/// signal), and what it used. The composition root wraps the runner in it only when
/// tracing is on.
public struct TracedProcessRunner: ProcessRunner {
    let base: any ProcessRunner

    public init(_ base: any ProcessRunner) { self.base = base }

    public func run(_ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void) async -> ProcessResult {
        await traced(spec) { await base.run(spec, onOutput: onOutput) }
    }

    public func run(
        _ spec: ProcessSpec, onOutput: @escaping @Sendable (OutputChunk) async -> Void,
        onUsage: @escaping @Sendable (ResourceUsage) async -> Void
    ) async -> ProcessResult {
        await traced(spec) { await base.run(spec, onOutput: onOutput, onUsage: onUsage) }
    }

    private func traced(_ spec: ProcessSpec, _ run: () async -> ProcessResult) async -> ProcessResult {
        await Telemetry.withSpan("exec \(spec.command)") { span in
            let result = await run()
            if let span { Self.describe(result, spec: spec, on: span) }
            return result
        }
    }

    /// The run's attributes. Arguments are not recorded: they are the user's data.
    static func describe(_ result: ProcessResult, spec: ProcessSpec, on span: any Span) {
        span.updateAttributes { attributes in
            attributes["process.executable.name"] = spec.command
            attributes["process.args_count"] = spec.args.count
            switch result.termination {
            case .exited(let code): attributes["process.exit.code"] = Int(code)
            case .signalled(let signal): attributes["process.exit.signal"] = Int(signal)
            case .timedOut: attributes["cloudtask.run.ended"] = "timed_out"
            case .stopped: attributes["cloudtask.run.ended"] = "stopped"
            case .spawnFailed: attributes["cloudtask.run.ended"] = "spawn_failed"
            case .memoryLimit: attributes["cloudtask.run.ended"] = "memory_limit"
            case .tasksLimit: attributes["cloudtask.run.ended"] = "tasks_limit"
            }
            if let usage = result.usage {
                attributes["process.cpu.user_seconds"] = usage.cpuUserSeconds
                attributes["process.cpu.system_seconds"] = usage.cpuSystemSeconds
                attributes["process.memory.peak_bytes"] = usage.memoryPeakBytes
                attributes["process.tasks.peak"] = usage.tasksPeak
                attributes["process.io.read_bytes"] = usage.ioReadBytes
                attributes["process.io.write_bytes"] = usage.ioWriteBytes
            }
        }
        switch result.termination {
        case .exited(0), .stopped: break
        case .exited(let code): span.setStatus(SpanStatus(code: .error, message: "exit code \(code)"))
        case .signalled(let signal): span.setStatus(SpanStatus(code: .error, message: "killed by signal \(signal)"))
        case .timedOut: span.setStatus(SpanStatus(code: .error, message: "timed out"))
        case .spawnFailed(let why): span.setStatus(SpanStatus(code: .error, message: String(why.prefix(200))))
        case .memoryLimit: span.setStatus(SpanStatus(code: .error, message: "killed at its memory limit"))
        case .tasksLimit: span.setStatus(SpanStatus(code: .error, message: "refused a task at its tasks limit"))
        }
    }
}
