/// An I/O failure: the operation, the path and the OS error.
package struct IOError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case notFound, exists, noSpace, locked, io, corruption }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let notFound = Code(.notFound)
        package static let exists = Code(.exists)
        /// The device is full (ENOSPC / EDQUOT) or a quota was hit.
        package static let noSpace = Code(.noSpace)
        /// Another process owns the lock.
        package static let locked = Code(.locked)
        package static let io = Code(.io)
        /// A record or file failed its checksum.
        package static let corruption = Code(.corruption)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    package var path: String
    package var errno: Int32?

    package init(_ code: Code, _ message: String, path: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    package var description: String {
        var text = "\(message): \(path)"
        if let errno { text += " (errno \(errno))" }
        return text
    }
}
