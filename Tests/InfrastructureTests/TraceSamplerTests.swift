import Domain
import Foundation
import Telemetry
import Testing

/// The samplers `OTEL_TRACES_SAMPLER` can name (docs/tracing.md).
@Suite("Trace sampler")
struct TraceSamplerTests {
    static let sampled = TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    static let dropped = TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")

    @Test("the names and arguments of the OpenTelemetry specification; anything else is refused with the setting named")
    func parse() throws {
        #expect(try TraceSampler.parse(name: nil, argument: nil) == .default)
        #expect(try TraceSampler.parse(name: "ParentBased_Always_On", argument: nil) == .default)
        #expect(try TraceSampler.parse(name: "always_off", argument: nil).isOff)
        #expect(try !TraceSampler.parse(name: "parentbased_always_off", argument: nil).isOff)
        #expect(
            try TraceSampler.parse(name: "traceidratio", argument: "0.25") == TraceSampler(root: .ratio(0.25), parentBased: false)
        )
        #expect(
            try TraceSampler.parse(name: "parentbased_traceidratio", argument: nil)
                == TraceSampler(root: .ratio(1), parentBased: true))
        for argument in ["-0.1", "1.5", "half", "nan", ""] {
            #expect(throws: TraceSampler.Invalid.self) { try TraceSampler.parse(name: "traceidratio", argument: argument) }
        }
        #expect(throws: TraceSampler.Invalid.self) { try TraceSampler.parse(name: "jaeger_remote", argument: nil) }
    }

    @Test("parent-based samplers follow the parent; the others decide alone; a ratio keeps about its share of new traces")
    func decisions() throws {
        let parentBased = TraceSampler(root: .never, parentBased: true)
        #expect(parentBased.samples(parent: Self.sampled) && !parentBased.samples(parent: Self.dropped))
        #expect(!parentBased.samples(parent: nil))
        let always = TraceSampler(root: .always, parentBased: false)
        #expect(always.samples(parent: Self.dropped))
        let none = TraceSampler(root: .ratio(0), parentBased: false)
        #expect(!none.samples(parent: Self.sampled))
        let quarter = TraceSampler(root: .ratio(0.25), parentBased: true)
        let kept = (0..<4000).filter { _ in quarter.samples(parent: nil) }.count
        #expect((700...1300).contains(kept), "\(kept) of 4000")
    }
}
