import Foundation
import Infrastructure
import Logging
import Ports

/// The S3 protocol server the test command starts (moto's server mode): a fresh bucket per
/// test. Without `CLOUDTASK_TEST_S3_URL` the S3 cases are left out.
enum S3Fixture {
    static let url = ProcessInfo.processInfo.environment["CLOUDTASK_TEST_S3_URL"].flatMap(URL.init(string:))
    static let logger = Logger(label: "s3-test")

    static func settings(bucket: String, endpoint: URL? = url, partSize: Int = 5 << 20) -> S3Settings? {
        endpoint.map {
            S3Settings(
                endpoint: $0, bucket: bucket, region: "eu-west-1", accessKey: "test-access", secretKey: "test-secret",
                pathStyle: true, partSize: partSize)
        }
    }

    static func store(partSize: Int = 5 << 20) async throws -> S3ObjectStore? {
        guard let settings = settings(bucket: "ct-\(UUID().uuidString.prefix(12).lowercased())", partSize: partSize) else {
            return nil
        }
        let store = S3ObjectStore(settings: settings, logger: logger)
        try await store.createBucket()
        return store
    }

    static func adapter() -> [Adapter<any ObjectStore>] {
        guard url != nil else { return [] }
        return [Adapter(name: "s3 (moto)") { body in try await body(try await store()!) }]
    }
}
