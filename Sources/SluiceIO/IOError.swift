/// An I/O failure: the operation, the path and the OS error.
public struct IOError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case notFound, exists, noSpace, locked, io, corruption }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let notFound = Code(.notFound)
        public static let exists = Code(.exists)
        /// The device is full (ENOSPC / EDQUOT) or a quota was hit.
        public static let noSpace = Code(.noSpace)
        /// Another process owns the lock.
        public static let locked = Code(.locked)
        public static let io = Code(.io)
        /// A record or file failed its checksum.
        public static let corruption = Code(.corruption)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var path: String
    public var errno: Int32?

    public init(_ code: Code, _ message: String, path: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    public var description: String {
        var text = "\(message): \(path)"
        if let errno { text += " (errno \(errno))" }
        return text
    }
}
