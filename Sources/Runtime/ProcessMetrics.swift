import CoreMetrics
public import Prometheus

/// The process's metrics: one registry, made swift-metrics' global factory before any
/// adapter is built, so that adapters' own counters reach `/metrics` too.
public enum ProcessMetrics {
    public static let registry = PrometheusCollectorRegistry()
    public static let factory = PrometheusMetricsFactory(registry: registry)
    public static func bootstrap() { MetricsSystem.bootstrap(factory) }
}

extension PrometheusCollectorRegistry {
    /// The Prometheus text exposition of every metric.
    public func exposition() -> String {
        var buffer: [UInt8] = []
        emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
