import Domain

/// Collects a running program's output between flushes and numbers it by byte offset
/// per stream, so that the store can append each byte exactly once; and the latest
/// measure of what it has used, sent with the next flush when it changed.
actor OutputBuffer {
    private var usage: ResourceUsage?
    private var usageSent: ResourceUsage?
    private var stdout = ""
    private var stderr = ""
    private var stdoutSent = 0
    private var stderrSent = 0
    private var truncated = false
    private var truncationReported = false

    func append(_ chunk: OutputChunk) {
        stdout += chunk.stdout
        stderr += chunk.stderr
        truncated = truncated || chunk.truncated
    }

    /// Everything not yet taken, with its offsets; empty when there is nothing new.
    func take() -> OutputChunk {
        let chunk = OutputChunk(
            stdout: stdout, stderr: stderr, stdoutOffset: stdoutSent, stderrOffset: stderrSent,
            truncated: truncated && !truncationReported)
        stdoutSent += stdout.utf8.count
        stderrSent += stderr.utf8.count
        truncationReported = truncated
        stdout = ""
        stderr = ""
        return chunk
    }

    func measured(_ usage: ResourceUsage) { self.usage = usage }

    /// The latest usage, when it changed since the last one taken.
    func takeUsage() -> ResourceUsage? {
        guard let usage, usage != usageSent else { return nil }
        usageSent = usage
        return usage
    }
}
