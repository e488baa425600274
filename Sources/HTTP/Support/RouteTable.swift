import HTTPTypes

/// The routes the API serves, kept as they are registered, so that a known path asked
/// with another method gets `405` and an `Allow` header instead of a `404`.
final class RouteTable: Sendable {
    private let routes: [(method: HTTPRequest.Method, segments: [Substring])]

    init(_ routes: [(HTTPRequest.Method, String)]) {
        self.routes = routes.map { ($0.0, $0.1.split(separator: "/")) }
    }

    /// The methods `path` is served with; empty when the path is unknown.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        var methods: [HTTPRequest.Method] = []
        for route in routes where route.segments.count == segments.count || route.segments.last == ":name" {
            // A trailing `:name` (an artifact's path) takes every remaining segment.
            guard segments.count >= route.segments.count else { continue }
            let matches = zip(route.segments, segments).allSatisfy { template, actual in
                template.hasPrefix(":") || template == actual
            }
            if matches && !methods.contains(route.method) { methods.append(route.method) }
        }
        return methods
    }
}
