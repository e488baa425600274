import Runtime
import Telemetry
import Testing

/// When a process turns tracing on (docs/tracing.md): only with an OTLP endpoint, and
/// never with a sampler it cannot honour.
@Suite("Tracing setup")
struct TracingSetupTests {
    static let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]

    @Test("off without an endpoint, when disabled, with another exporter, or with always_off; on with an endpoint")
    func requested() throws {
        #expect(try TracingSetup.requested(by: [:]) == nil)
        #expect(try TracingSetup.requested(by: ["OTEL_EXPORTER_OTLP_ENDPOINT": "  "]) == nil)
        #expect(try TracingSetup.requested(by: Self.endpoint) == .default)
        #expect(try TracingSetup.requested(by: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"]) == .default)
        #expect(try TracingSetup.requested(by: Self.endpoint.merging(["OTEL_SDK_DISABLED": "TRUE"]) { $1 }) == nil)
        #expect(try TracingSetup.requested(by: Self.endpoint.merging(["OTEL_TRACES_EXPORTER": "none"]) { $1 }) == nil)
        #expect(try TracingSetup.requested(by: Self.endpoint.merging(["OTEL_TRACES_SAMPLER": "always_off"]) { $1 }) == nil)
        let ratio = Self.endpoint.merging(["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"]) {
            $1
        }
        #expect(try TracingSetup.requested(by: ratio) == TraceSampler(root: .ratio(0.1), parentBased: true))
    }

    @Test("a sampler or argument it cannot use is refused at start, naming the setting")
    func refused() {
        let error = #expect(throws: TraceSampler.Invalid.self) {
            try TracingSetup.requested(by: Self.endpoint.merging(["OTEL_TRACES_SAMPLER": "xray"]) { $1 })
        }
        #expect(error?.description.hasPrefix("OTEL_TRACES_SAMPLER must be") == true)
        #expect(throws: TraceSampler.Invalid.self) {
            try TracingSetup.requested(
                by: Self.endpoint.merging(["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"]) { $1 })
        }
    }
}
