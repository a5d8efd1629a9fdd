import Foundation

/// Where an S3-compatible store is and how to sign for it: the `aws.s3.*` properties Broker Load
/// (`WITH BROKER (...)`), FILES() and Pipe share (spec C.1). The secret key appears in no
/// description, message or log.
package struct S3Settings: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`, host and port of the endpoint, without a trailing `/`.
    package var endpoint: String
    package var region: String
    package var accessKey: String
    package var secretKey: String
    /// `aws.s3.enable_path_style_access`: `endpoint/bucket/key` instead of `bucket.endpoint/key`.
    package var pathStyle: Bool

    /// The property names these settings come from.
    package static let propertyNames: Set<String> = [
        "aws.s3.endpoint", "aws.s3.region", "aws.s3.access_key", "aws.s3.secret_key", "aws.s3.enable_ssl",
        "aws.s3.enable_path_style_access", "aws.s3.use_instance_profile", "aws.s3.use_aws_sdk_default_behavior",
    ]

    package init(endpoint: String, region: String, accessKey: String, secretKey: String, pathStyle: Bool) {
        self.endpoint = endpoint
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.pathStyle = pathStyle
    }

    /// The settings of `properties` (keys matched case-insensitively; other keys ignored).
    /// Defaults: region `us-east-1`, SSL on, virtual-host style, the region's AWS endpoint.
    /// - Throws: ``FileSourceError`` `.invalidPath` for a value that is not a boolean, an
    ///   endpoint that is not a URL, or instance-profile credentials (this process has no
    ///   instance metadata service to ask).
    package init(properties: [String: String]) throws(FileSourceError) {
        var values = [String: String]()
        for (key, value) in properties { values[key.lowercased()] = value.trimmingSpaces }
        func flag(_ name: String, default value: Bool) throws(FileSourceError) -> Bool {
            guard let text = values[name] else { return value }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw FileSourceError(.invalidPath, "Invalid \(name): '\(text)': write true or false")
            }
        }
        if try flag("aws.s3.use_instance_profile", default: false) {
            throw FileSourceError(
                .invalidPath,
                "aws.s3.use_instance_profile is not supported: give aws.s3.access_key and aws.s3.secret_key")
        }
        let ssl = try flag("aws.s3.enable_ssl", default: true)
        region = values["aws.s3.region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        accessKey = values["aws.s3.access_key"] ?? ""
        secretKey = values["aws.s3.secret_key"] ?? ""
        pathStyle = try flag("aws.s3.enable_path_style_access", default: false)
        var endpoint = values["aws.s3.endpoint"] ?? ""
        if endpoint.isEmpty { endpoint = "s3.\(region).amazonaws.com" }
        if !endpoint.lowercased().hasPrefix("http://") && !endpoint.lowercased().hasPrefix("https://") {
            endpoint = (ssl ? "https://" : "http://") + endpoint
        }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        let authority = endpoint[endpoint.range(of: "://")!.upperBound...]
        guard !authority.isEmpty, !authority.contains("/") else {
            throw FileSourceError(
                .invalidPath,
                "Invalid aws.s3.endpoint: '\(values["aws.s3.endpoint"] ?? "")': write http(s)://host[:port]")
        }
        self.endpoint = endpoint
    }

    /// Whether requests are signed (anonymous access without keys).
    package var signs: Bool { !accessKey.isEmpty }

    package var description: String {
        "S3Settings(endpoint: \(endpoint), region: \(region), access key: \(accessKey.isEmpty ? "none" : "set"), "
            + "path style: \(pathStyle))"
    }
}

/// A bucket and key named by `s3://bucket/key` or `s3a://bucket/key`.
package struct S3Location: Sendable, Equatable {
    package var bucket: String
    /// The key (no leading `/`); may hold glob patterns.
    package var key: String

    /// Whether `location` names S3 storage.
    package static func isS3(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("s3://") || lower.hasPrefix("s3a://") || lower.hasPrefix("s3n://")
    }

    package init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// - Throws: ``FileSourceError`` `.invalidPath` without a bucket.
    package init(_ location: String) throws(FileSourceError) {
        guard let scheme = location.range(of: "://"), Self.isS3(location) else {
            throw FileSourceError(.invalidPath, "Invalid path \(location): write s3://bucket/key")
        }
        let rest = location[scheme.upperBound...]
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else {
            throw FileSourceError(.invalidPath, "Invalid path \(location): no bucket; write s3://bucket/key")
        }
        self.bucket = String(bucket)
        key = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
    }

    /// `s3://bucket/key`.
    package static func url(bucket: String, key: String) -> String { "s3://\(bucket)/\(key)" }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
