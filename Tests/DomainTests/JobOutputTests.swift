import Domain
import Testing

@Suite("Job output")
struct JobOutputTests {
    @Test("appending by offset is idempotent")
    func idempotent() {
        var output = JobOutput()
        let first = OutputChunk(stdout: "hello ", stdoutOffset: 0)
        let second = OutputChunk(stdout: "world", stderr: "warn", stdoutOffset: 6, stderrOffset: 0)
        output.append(first, limit: 1000)
        output.append(second, limit: 1000)
        output.append(second, limit: 1000)
        output.append(first, limit: 1000)
        #expect(output == JobOutput(stdout: "hello world", stderr: "warn", truncated: false))
        // A chunk that partly overlaps what is stored adds only its new part.
        output.append(OutputChunk(stdout: "world!", stdoutOffset: 6), limit: 1000)
        #expect(output.stdout == "hello world!")
    }

    @Test("each stream is capped on a character boundary and marked truncated")
    func cap() {
        var output = JobOutput()
        output.append(OutputChunk(stdout: "ééééé"), limit: 5)
        #expect(output.stdout == "éé" && output.truncated)
        output.append(OutputChunk(stderr: "abc"), limit: 5)
        #expect(output.stderr == "abc")
    }

    @Test("a worker-reported truncation is kept")
    func reported() {
        var output = JobOutput()
        output.append(OutputChunk(stdout: "x", truncated: true), limit: 100)
        #expect(output.truncated)
    }
}
