public import Domain

/// Which traces are recorded: the OpenTelemetry samplers of `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` that this service supports (docs/tracing.md). Decided when a
/// span starts, from its parent's context; `ErrorKeepingTracer` records a failed span
/// whatever was decided.
public struct TraceSampler: Sendable, Equatable {
    public enum Root: Sendable, Equatable {
        case always
        case never
        /// A new trace is recorded with this probability (0 to 1).
        case ratio(Double)
    }

    /// What decides for a span without a parent (and, when not parent-based, for all).
    public let root: Root
    /// A span with a parent follows its parent's decision.
    public let parentBased: Bool

    public init(root: Root, parentBased: Bool) {
        self.root = root
        self.parentBased = parentBased
    }

    /// OpenTelemetry's default: parent-based, every new trace recorded.
    public static let `default` = TraceSampler(root: .always, parentBased: true)

    /// `always_off`: nothing is recorded, not even failures; tracing stays off.
    public var isOff: Bool { root == .never && !parentBased }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The sampler named by `OTEL_TRACES_SAMPLER` (nil: the default) with its argument.
    public static func parse(name: String?, argument: String?) throws(Invalid) -> TraceSampler {
        func ratio() throws(Invalid) -> Double {
            guard let argument else { return 1 }
            guard let value = Double(argument.trimmingCharacters(in: " ")), (0...1).contains(value) else {
                throw Invalid(description: "OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1")
            }
            return value
        }
        switch name?.lowercased() {
        case nil, "", "parentbased_always_on": return .default
        case "always_on": return TraceSampler(root: .always, parentBased: false)
        case "always_off": return TraceSampler(root: .never, parentBased: false)
        case "traceidratio": return TraceSampler(root: .ratio(try ratio()), parentBased: false)
        case "parentbased_always_off": return TraceSampler(root: .never, parentBased: true)
        case "parentbased_traceidratio": return TraceSampler(root: .ratio(try ratio()), parentBased: true)
        default:
            throw Invalid(
                description:
                    "OTEL_TRACES_SAMPLER must be always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio"
            )
        }
    }

    /// Whether a span whose parent has `parent` (nil: a new trace) is recorded.
    public func samples(parent: TraceParent?) -> Bool {
        if parentBased, let parent { return parent.sampled }
        switch root {
        case .always: return true
        case .never: return false
        case .ratio(let probability): return Double.random(in: 0..<1) < probability
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
