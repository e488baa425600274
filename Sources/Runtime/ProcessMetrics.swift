import Application
import CoreMetrics
public import Prometheus

/// The process's metrics: one registry, made swift-metrics' global factory before any
/// adapter is built, so that adapters' own counters reach `/metrics` too.
public enum ProcessMetrics {
    public static let registry = PrometheusCollectorRegistry()
    public static let factory: PrometheusMetricsFactory = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // What a job's run used (by its final status): seconds of CPU, bytes, tasks.
        factory.valueHistogramBuckets[MetricNames.jobCPUSeconds] = [0.01, 0.1, 0.5, 1, 5, 30, 120, 600, 3600]
        factory.valueHistogramBuckets[MetricNames.jobMemoryPeakBytes] = [1, 4, 16, 64, 256, 1024, 4096].map { Double($0 << 20) }
        factory.valueHistogramBuckets[MetricNames.jobTasksPeak] = [1, 2, 4, 8, 16, 64, 256, 1024]
        return factory
    }()
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
