import Application
import Domain
import Foundation
import FuzzSupport
import Ports
import Testing

@testable import Infrastructure

/// Every parser at a boundary, fed what a hostile client or publisher could send: it
/// answers (accepts or refuses) and never traps. Each property runs the fixed seeds,
/// then random ones for `CLOUDTASK_FUZZ_SECONDS`.
@Suite("Boundaries under fuzzing", .serialized)
struct BoundaryFuzzTests {
    // MARK: Strict JSON

    @Test(
        "strict JSON refuses what Foundation lets through, and what no parser can hand on",
        arguments: [
            #"{"command": "echo",}"#, #"[1,]"#, #"{"a":1 "b":2}"#, #"NaN"#, #"{"a": NaN}"#, #"01"#, #"1."#, #".5"#, #"+1"#,
            #"{"a":1}{"#, #"'a'"#, #"{a:1}"#, "\"tab\there\"", #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #""\x""#, #"tru"#,
            String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
            // Found by the fuzzer below: valid syntax that no parser can hand on (Foundation refuses them).
            "1e999", "[-1.1e999]", #""\ud800""#, #"{"k\ud8007": null}"#, #""\udc00\ud83d""#,
        ])
    func strictRefusals(text: String) {
        #expect(StrictJSON.check(Array(text.utf8)) != nil)
    }

    @Test(
        "strict JSON accepts what RFC 8259 allows",
        arguments: [
            #"{}"#, #" { "a" : [1, -0.5e+3, "x\u00e9\n", true, false, null] } "#, #"[]"#, #""\ud83d\ude00""#, #"0"#,
            String(repeating: "[", count: 32) + String(repeating: "]", count: 32),
        ])
    func strictAcceptance(text: String) {
        #expect(StrictJSON.check(Array(text.utf8)) == nil)
    }

    @Test("fuzz: strict JSON accepts every generated document, and whatever it accepts Foundation parses")
    func strictJSONProperty() async throws {
        try await Fuzz.run { generator in
            let document = Fuzz.json(&generator)
            #expect(StrictJSON.check(Array(document.utf8)) == nil, "refused valid JSON: \(document)")
            let mutated = Fuzz.mutate(Array(document.utf8), &generator)
            if StrictJSON.check(mutated) == nil {
                #expect(
                    (try? JSONSerialization.jsonObject(with: Data(mutated), options: [.fragmentsAllowed])) != nil,
                    "accepted what Foundation cannot parse: \(String(decoding: mutated, as: UTF8.self))")
            }
        }
    }

    // MARK: The AMQP wire codec

    static let finishedEvent = JobEvent(
        eventID: UUID(), jobID: JobID(UUID()), attempt: 1, workerID: "w-1", occurredAt: Date(),
        kind: .finished(
            .failed(exitCode: 3, failure: JobFailure(code: .nonzeroExit, message: "exit 3")),
            output: OutputChunk(stdout: "out", stderr: "err", stdoutOffset: 0, stderrOffset: 0)))
    static let finished: [UInt8] = JobMessageCodec.encode(finishedEvent)

    static let dispatch: [UInt8] = JobMessageCodec.encode(
        JobDispatch(
            eventID: UUID(), jobID: JobID(UUID()), attempt: 1, command: "echo", args: ["a", "b"], priority: 3, timeoutSeconds: 30,
            occurredAt: Date()))

    static let reports: [UInt8] = JobMessageCodec.encodeReports([finishedEvent, finishedEvent])

    static func expectInBounds(_ decoded: JobEvent) {
        #expect((1...10_000).contains(decoded.attempt))
        #expect(OutputText.isClean(decoded.workerID))
        if case .finished(_, let output) = decoded.kind {
            #expect(OutputText.isClean(output.stdout) && OutputText.isClean(output.stderr))
            #expect(output.stdoutOffset >= 0 && output.stderrOffset >= 0)
        }
    }

    @Test("fuzz: the wire codec decodes or refuses every mutation of a real message, and what it decodes is in bounds")
    func codecProperty() async throws {
        try await Fuzz.run { generator in
            let event = Fuzz.mutate(Self.finished, &generator)
            if let decoded = try? JobMessageCodec.decodeEvent(event) { Self.expectInBounds(decoded) }
            let reports = Fuzz.mutate(Self.reports, &generator)
            if let parts = try? JobMessageCodec.decodeReports(reports) {
                #expect((1...JobMessageCodec.maxReportsPerMessage).contains(parts.count))
                for case .success(let decoded) in parts { Self.expectInBounds(decoded) }
            }
            let dispatch = Fuzz.mutate(Self.dispatch, &generator)
            if let decoded = try? JobMessageCodec.decodeDispatch(dispatch) {
                #expect(decoded.command.utf8.count <= JobLimits.maxCommandBytes && !decoded.command.utf8.contains(0))
                #expect(decoded.args.allSatisfy { !$0.utf8.contains(0) })
                #expect(JobLimits.timeoutSeconds.contains(decoded.timeoutSeconds))
            }
            _ = try? JobMessageCodec.decodeStop(Fuzz.bytes(&generator, maxCount: 200))
        }
    }

    @Test("a report's NUL becomes U+FFFD; out-of-range numbers and strange times are refused, not trapped")
    func codecBounds() throws {
        func event(_ fields: String) -> [UInt8] {
            Array(
                ("""
                {"type":"job.finished","version":1,"event_id":"\(UUID())","occurred_at":"2026-11-30T10:00:00.123Z",
                 "job_id":"\(UUID())","worker_id":"w1","outcome":"succeeded",
                """ + fields + "}").utf8)
        }
        let cleaned = try JobMessageCodec.decodeEvent(
            event(
                #""attempt":1,"output":{"stdout":"x\u0000y","stderr":"","stdout_offset":0,"stderr_offset":0,"truncated":false}"#))
        guard case .finished(_, let output) = cleaned.kind else {
            Issue.record("not finished")
            return
        }
        #expect(output.stdout == "x\u{FFFD}y")
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeEvent(event(#""attempt":99999999999"#)) }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(event(#""attempt":1,"exit_code":99999999999"#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) {
            try JobMessageCodec.decodeEvent(
                event(#""attempt":1,"output":{"stdout":"","stderr":"","stdout_offset":-1,"stderr_offset":0,"truncated":false}"#))
        }
        #expect(throws: JobMessageCodec.DecodingError.self) { try JobMessageCodec.decodeEvent(event(#""attempt":1,"#)) }
        // Non-ASCII digits in the fraction trapped Int64(...)! before.
        #expect(WireTime.parse("2026-11-30T10:00:00.\u{663}Z") == nil)
        #expect(WireTime.parse("2026-11-30T10:00:00.5Z") != nil)
    }

    // MARK: Tokens

    @Test("fuzz: access-token verification refuses every mutation of a real token, and never traps")
    func accessTokenProperty() async throws {
        let tokens = JWTAccessTokens(
            current: SigningKey(secret: String(repeating: "k", count: 32))!, issuer: "cloudtask", audience: "cloudtask-api")
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // whole seconds, as tokens carry them
        let claims = AccessClaims(
            userID: UserID(UUID()), role: .user, sessionID: SessionID(UUID()), tokenID: UUID(),
            issuedAt: now, expiresAt: now.addingTimeInterval(900))
        let token = Array(try tokens.issue(claims).utf8)
        #expect((try? tokens.verify(String(decoding: token, as: UTF8.self), now: now)) == claims)
        try await Fuzz.run { generator in
            let mutated = Fuzz.mutate(token, &generator)
            guard mutated != token else { return }
            if let accepted = try? tokens.verify(String(decoding: mutated, as: UTF8.self), now: now) {
                // Base64url has slack bits in its last character: a change there decodes to the same bytes.
                #expect(accepted == claims)
            }
            _ = try? tokens.verify(String(decoding: Fuzz.bytes(&generator, maxCount: 600), as: UTF8.self), now: now)
        }
    }

    @Test("fuzz: refresh tokens of any other shape have no hash, or another one")
    func refreshTokenProperty() async throws {
        let minter = HMACRefreshTokenMinter(pepper: SigningKey(secret: String(repeating: "r", count: 32))!)
        let (token, hash) = minter.mint()
        #expect(minter.hash(token) == hash)
        try await Fuzz.run { generator in
            let mutated = String(decoding: Fuzz.mutate(Array(token.utf8), &generator), as: UTF8.self)
            if mutated != token { #expect(minter.hash(mutated) != hash) }
        }
    }

    // MARK: Program output

    @Test("fuzz: any bytes, split anywhere, decode to clean text that a cap keeps within its bytes")
    func outputDecoderProperty() async throws {
        try await Fuzz.run { generator in
            var bytes = Fuzz.bytes(&generator, maxCount: 300)
            if Bool.random(using: &generator) { bytes = Fuzz.mutate(Array("héllo\u{0}wörld 日本".utf8), &generator) }
            var decoder = UTF8StreamDecoder()
            var capped = CappedStream(limit: Int.random(in: 0...200, using: &generator))
            var text = ""
            var rest = bytes[...]
            while !rest.isEmpty {
                let cut = Int.random(in: 1...rest.count, using: &generator)
                text += capped.admit(decoder.decode(rest.prefix(cut)))
                rest = rest.dropFirst(cut)
            }
            text += capped.admit(decoder.finish())
            #expect(OutputText.isClean(text))
            #expect(text.utf8.count <= capped.limit)
            // Split or not, the same bytes decode to the same text (when nothing was cut).
            if !capped.truncated { #expect(text == OutputText.decode(bytes)) }
        }
    }

    @Test("NUL and invalid UTF-8 become U+FFFD; clean text is unchanged")
    func outputText() {
        #expect(OutputText.decode([0x78, 0x00, 0x79]) == "x\u{FFFD}y")
        #expect(OutputText.decode([0x6F, 0x6B, 0xFF]) == "ok\u{FFFD}")
        #expect(OutputText.clean("a\u{0}b") == "a\u{FFFD}b")
        #expect(OutputText.clean("plain é") == "plain é")
    }
}
