package import Foundation

/// scripts/avro/schema-registry.py as a separate process: a Confluent Schema Registry on
/// 127.0.0.1 for the Avro tests, with switches to require Basic auth, inject failures and count
/// lookups per schema id (spec A.11).
package final class SchemaRegistryProcess: @unchecked Sendable {
    private let process: AnnouncingProcess
    package let port: Int
    /// `http://127.0.0.1:<port>` (no credentials).
    package var url: String { "http://127.0.0.1:\(port)" }

    /// The repository's root (scripts live there).
    package static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Starts the registry; with `user`, every API call must carry that Basic authorization.
    package init(user: String? = nil, password: String? = nil) throws {
        var arguments = ["python3", Self.root.appendingPathComponent("scripts/avro/schema-registry.py").path]
        if let user { arguments += ["--user", user, "--password", password ?? ""] }
        process = try AnnouncingProcess(arguments)
        port = try process.port(after: "listening on ")
    }

    /// Registers `schema` under a fixed `id`.
    package func register(_ id: Int32, schema: String) throws {
        try control(["schemas": ["\(id)": schema]])
    }

    /// The next `count` lookups answer HTTP `status`.
    package func failLookups(status: Int, count: Int) throws {
        try control(["fail_status": status, "fail_count": count])
    }

    /// Lookups of `GET /schemas/ids/<id>` so far.
    package func lookups(of id: Int32) throws -> Int {
        (try stats()["requests"] as? [String: Any])?["\(id)"] as? Int ?? 0
    }

    /// Every `Authorization` header the registry saw (nil entries: none sent).
    package func authorizations() throws -> [String?] {
        (try stats()["authorization"] as? [Any] ?? []).map { $0 as? String }
    }

    private func control(_ body: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: body)
        let response = try Curl.run(["-X", "POST", "--data-binary", "@-", "\(url)/_control"], stdin: data)
        guard response.status == 200 else { throw ServerProcessError("registry control failed: \(response.body)") }
    }

    private func stats() throws -> [String: Any] {
        let response = try Curl.run(["\(url)/_stats"])
        return response.json ?? [:]
    }

    /// Framed Avro payloads of `records` (JSON objects) under `schema` with `id`, made by
    /// scripts/avro/avro-produce.py (fastavro's schemaless_writer).
    package static func payloads(schema: String, id: Int32, records: [String]) throws -> [[UInt8]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", root.appendingPathComponent("scripts/avro/avro-produce.py").path, "--schema", schema, "--id",
            "\(id)",
        ]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(records.joined(separator: "\n").utf8 + [10]))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServerProcessError("avro-produce.py failed: \(String(decoding: failure, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            var bytes = [UInt8]()
            var digits = line.utf8.makeIterator()
            while let high = digits.next(), let low = digits.next() {
                bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) ?? 0)
            }
            return bytes
        }
    }

    package func stop() { process.stop() }
}
