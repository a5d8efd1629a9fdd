package import Foundation

/// Runs the real `curl` client, as users do: `curl --location-trusted -u root: -T file URL`.
package enum Curl {
    package struct Response: Sendable {
        package var status: Int
        package var body: String
        /// The body parsed as a JSON object (nil if it is not one).
        package var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
        package func string(_ key: String) -> String? { json?[key] as? String }
        package func int(_ key: String) -> Int? { (json?[key] as? NSNumber)?.intValue }
    }

    /// Runs curl with `arguments`; the HTTP status comes from `-w`.
    package static func run(_ arguments: [String], stdin: Data? = nil) throws -> Response {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "-S", "-w", "\n%{http_code}"] + arguments
        let output = Pipe()
        process.standardOutput = output
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        var status = 0
        if let newline = text.lastIndex(of: "\n") {
            status = Int(text[text.index(after: newline)...]) ?? 0
            text = String(text[..<newline])
        }
        return Response(status: status, body: text)
    }

    /// Calls `/api/transaction/<action>` as root with `headers`; a body is sent with PUT.
    package static func transaction(
        port: Int, action: String, headers: [String: String], body: String? = nil
    ) throws -> Response {
        var args = ["-u", "root:"]
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) where !v.isEmpty { args += ["-H", "\(k): \(v)"] }
        if let body {
            args += ["-T", "-", "http://127.0.0.1:\(port)/api/transaction/\(action)"]
            return try run(args, stdin: Data(body.utf8))
        }
        args += ["-X", "POST", "http://127.0.0.1:\(port)/api/transaction/\(action)"]
        return try run(args)
    }

    /// A Stream Load of `body` (written to a temporary file and sent with `-T`).
    package static func streamLoad(
        port: Int, database: String, table: String, body: String, headers: [String: String] = [:],
        user: String = "root:", extra: [String] = []
    ) throws -> Response {
        let file = NSTemporaryDirectory() + "sluice-body-\(UInt64.random(in: 0...UInt64.max))"
        try Data(body.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        var arguments = ["--location-trusted", "-u", user]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        arguments += extra + ["-T", file, "http://127.0.0.1:\(port)/api/\(database)/\(table)/_stream_load"]
        return try run(arguments)
    }
}
