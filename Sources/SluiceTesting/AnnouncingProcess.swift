package import Foundation

/// A helper process for tests (a registry, a proxy, a file server) that announces itself on its
/// first line of output, e.g. `listening on 43125`. It keeps nothing worth a clean shutdown:
/// ``stop()`` kills it.
package final class AnnouncingProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the owning test.
    private let process = Process()
    /// The first line the process printed.
    package let firstLine: String

    /// Runs `arguments` (through `/usr/bin/env`) and waits for its first line.
    package init(_ arguments: [String], discardErrors: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        if discardErrors { process.standardError = FileHandle.nullDevice }
        try process.run()
        firstLine = readFirstLine(pipe)
    }

    /// The number after `marker` in the first line (`listening on `, `port `).
    package func port(after marker: String) throws -> Int {
        guard let range = firstLine.range(of: marker),
            let port = Int(firstLine[range.upperBound...].prefix { $0.isNumber })
        else {
            stop()
            throw ServerProcessError("\(process.arguments?.joined(separator: " ") ?? "") did not start: \(firstLine)")
        }
        return port
    }

    package func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The first line written to `pipe` (everything read if it closes first).
package func readFirstLine(_ pipe: Pipe) -> String {
    var text = ""
    while !text.contains("\n") {
        let data = pipe.fileHandleForReading.availableData
        guard !data.isEmpty else { break }
        text += String(decoding: data, as: UTF8.self)
    }
    return text.split(separator: "\n").first.map(String.init) ?? text
}
