import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP socket connected to `127.0.0.1:port` (the caller closes it).
package func connectLoopback(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServerProcessError("socket failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard result == 0 else {
        close(fd)
        throw ServerProcessError("connect failed: errno \(errno)")
    }
    return fd
}

/// A bare TCP client for tests that need to misbehave (send half a body, then vanish). Used by
/// one task at a time (it may move between threads).
package final class RawHTTP: @unchecked Sendable {
    private let fd: Int32

    package init(port: Int) throws { fd = try connectLoopback(port: port) }

    /// Bounds every later ``receive(limit:)`` wait (so a test cannot hang on a server that
    /// never answers).
    package func setReceiveTimeout(seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    package func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ServerProcessError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads until the peer closes or `limit` bytes arrived.
    package func receive(limit: Int = 1 << 20) -> String {
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
            if let text = String(bytes: out, encoding: .utf8), text.contains("\r\n\r\n"),
                let length = text.components(separatedBy: "\r\n").first(where: {
                    $0.lowercased().hasPrefix("content-length:")
                }),
                let count = Int(length.dropFirst(15).trimmingCharacters(in: .whitespaces)),
                let bodyStart = text.range(of: "\r\n\r\n"), text[bodyStart.upperBound...].utf8.count >= count
            {
                break
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    package func close() { Glibc.close(fd) }
}
