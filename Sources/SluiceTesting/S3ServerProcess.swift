import Foundation

/// scripts/s3/s3-server.py as a separate process: moto's S3 on 127.0.0.1 for the file-load tests
/// (spec C.5), checking SigV4 signatures when started with keys, with a switch to slow object
/// reads down.
package final class S3ServerProcess: @unchecked Sendable {
    private let process: AnnouncingProcess
    package let port: Int
    package var endpoint: String { "http://127.0.0.1:\(port)" }
    package let accessKey: String
    package let secretKey: String

    /// Starts the server; every request must be signed with these keys.
    package init(accessKey: String = "sluice-test-key", secretKey: String = "sluice-test-secret") throws {
        self.accessKey = accessKey
        self.secretKey = secretKey
        process = try AnnouncingProcess([
            "python3", SchemaRegistryProcess.root.appendingPathComponent("scripts/s3/s3-server.py").path,
            "--access-key", accessKey, "--secret-key", secretKey,
        ])
        port = try process.port(after: "listening on ")
    }

    /// The `aws.s3.*` properties of spec C.5 for this server (path style, no TLS, us-east-1).
    package func properties(accessKey: String? = nil, secretKey: String? = nil) -> [String: String] {
        [
            "aws.s3.endpoint": endpoint, "aws.s3.enable_path_style_access": "true", "aws.s3.enable_ssl": "false",
            "aws.s3.region": "us-east-1", "aws.s3.access_key": accessKey ?? self.accessKey,
            "aws.s3.secret_key": secretKey ?? self.secretKey,
        ]
    }

    /// The properties as SQL `"k" = "v", …` (sorted by key).
    package func propertiesSQL(accessKey: String? = nil, secretKey: String? = nil) -> String {
        properties(accessKey: accessKey, secretKey: secretKey).sorted { $0.key < $1.key }
            .map { "\"\($0.key)\" = \"\($0.value)\"" }.joined(separator: ", ")
    }

    /// Each object GET waits this long before it is answered (0: none).
    package func delayReads(milliseconds: Int) throws {
        let data = try JSONSerialization.data(withJSONObject: ["delay_ms": milliseconds])
        let response = try Curl.run(["-X", "POST", "--data-binary", "@-", "\(endpoint)/__control"], stdin: data)
        guard response.status == 200 else { throw ServerProcessError("s3 server control failed: \(response.body)") }
    }

    package func stop() { process.stop() }
}
