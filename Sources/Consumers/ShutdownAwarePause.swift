import ServiceLifecycle

/// Sleeps for `duration`, or less when the service is asked to shut down (or is
/// cancelled): a loop's pause between passes never holds up a shutdown.
func pause(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}
