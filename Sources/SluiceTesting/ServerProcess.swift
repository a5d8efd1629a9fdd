import Dispatch
import Foundation
import Synchronization

/// A `sluice serve` child process on a loopback port, for integration tests that need the real
/// binary (signals, `kill -9`, restarts).
package final class ServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the test task; output goes through `log`.
    package let dataDirectory: String
    package private(set) var port = 0
    private let process = Process()
    private let log = OutputLog()
    private let ready = DispatchSemaphore(value: 0)
    private let exited = ExitSignal()

    /// The `sluice` executable next to the test bundle (SwiftPM builds it for the test target).
    package static var executable: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("sluice").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/sluice"
    }

    /// Starts `sluice serve --data-dir DIR --http-port 0` and waits until it listens.
    package init(
        dataDirectory: String, arguments: [String] = [], environment: [String: String] = [:], timeout: Double = 60
    ) throws {
        self.dataDirectory = dataDirectory
        process.executableURL = URL(fileURLWithPath: Self.executable)
        // The MySQL port is off unless a test asks for one (parallel servers cannot share 9030).
        let queryPort = arguments.contains("--query-port") ? [] : ["--query-port", "0"]
        let httpPort = arguments.contains("--http-port") ? [] : ["--http-port", "0"]
        process.arguments = ["serve", "--data-dir", dataDirectory] + httpPort + queryPort + arguments
        var env = ProcessInfo.processInfo.environment
        // Test servers share two cores with every other suite of the run: niced load work would
        // measure the CI's scheduler, not the server (the benchmark measures the nice lane).
        env["SLUICE_LOAD_BACKGROUND_NICE"] = "0"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [log, ready] handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                ready.signal()
                return
            }
            let text = String(decoding: data, as: UTF8.self)
            let found = log.append(text)
            if found { ready.signal() }
        }
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        guard ready.wait(timeout: .now() + timeout) == .success else {
            process.terminate()
            throw ServerProcessError("server did not start within \(timeout)s:\n\(output)")
        }
        let text = output
        // `port=N` in text logs, `"port":"N"` in JSON logs.
        guard let range = text.range(of: #"port=(\d+)|"port":"(\d+)"#, options: .regularExpression),
            let port = Int(text[range].filter(\.isNumber))
        else {
            throw ServerProcessError("server exited before listening:\n\(text)")
        }
        self.port = port
    }

    /// Everything the process printed so far.
    package var output: String { log.text }

    package var isRunning: Bool { process.isRunning }

    /// Blocks (call it off the cooperative pool) until the server's output contains `text`, at
    /// most `timeout` seconds; returns whether it does.
    package func waitForOutput(containing text: String, timeout: Double = 20) -> Bool {
        log.wait(for: text, until: Date(timeIntervalSinceNow: timeout))
    }

    /// Blocks (call it off the cooperative pool) until the process exits, at most `timeout`
    /// seconds; returns whether it did. Woken by the exit itself, not by polling.
    @discardableResult
    package func waitForExit(timeout: Double = 20) -> Bool {
        exited.wait(until: Date(timeIntervalSinceNow: timeout))
    }

    /// Sends SIGTERM and waits; returns the exit status and the seconds it took.
    @discardableResult
    package func terminate(timeout: Double = 15) -> (status: Int32, seconds: Double) {
        let start = Date()
        process.terminate()
        if !waitForExit(timeout: timeout) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    /// `kill -9`: no shutdown code runs.
    /// Sends `signal` (SIGSTOP and SIGCONT make a zombie daemon).
    package func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    package func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

package struct ServerProcessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// A loopback TCP port that was free a moment ago (for servers whose port 0 means "off").
package func freeTCPPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A fresh empty directory under the system temporary directory.
package func makeTemporaryDirectory(_ prefix: String = "sluice-test") -> String {
    let path = NSTemporaryDirectory() + "\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Set once when the process exits; any number of waiters wake.
final class ExitSignal: @unchecked Sendable {
    // @unchecked: `done` is guarded by `condition`.
    private var done = false
    private let condition = NSCondition()

    func signal() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !done {
            if !condition.wait(until: deadline) { return done }
        }
        return true
    }
}

/// Collected process output; waiters are woken whenever more arrives.
final class OutputLog: @unchecked Sendable {
    // @unchecked: `all` is guarded by `changed` (an NSCondition is a lock).
    private var all = ""
    private let changed = NSCondition()

    /// Appends; returns whether the server announced it is listening.
    func append(_ text: String) -> Bool {
        changed.lock()
        defer { changed.unlock() }
        all += text
        changed.broadcast()
        return all.contains("Sluice listening")
    }

    var text: String {
        changed.lock()
        defer { changed.unlock() }
        return all
    }

    /// Blocks until the output contains `text` or `deadline` passes; returns whether it does.
    func wait(for text: String, until deadline: Date) -> Bool {
        changed.lock()
        defer { changed.unlock() }
        while !all.contains(text) {
            if !changed.wait(until: deadline) { return all.contains(text) }
        }
        return true
    }
}
