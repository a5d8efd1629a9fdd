/// Errors of the storage engine: catalog lookups, DDL conflicts, I/O and corruption.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unknownDatabase, unknownTable, unknownPartition, unknownJob, alreadyExists, invalidDefinition
            case invalidData, corruption, io, closed, tooManyVersions
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let unknownDatabase = Code(.unknownDatabase)
        public static let unknownTable = Code(.unknownTable)
        public static let unknownPartition = Code(.unknownPartition)
        /// A source job (Routine Load) does not exist.
        public static let unknownJob = Code(.unknownJob)
        public static let alreadyExists = Code(.alreadyExists)
        /// A CREATE/ALTER statement that cannot be honoured (bad partition bounds, unknown column…).
        public static let invalidDefinition = Code(.invalidDefinition)
        /// Rows that do not fit the table (no partition for a value, NULL in NOT NULL column…).
        public static let invalidData = Code(.invalidData)
        /// Bytes on disk failed a checksum or did not parse; the message names file and offset.
        public static let corruption = Code(.corruption)
        public static let io = Code(.io)
        public static let closed = Code(.closed)
        public static let tooManyVersions = Code(.tooManyVersions)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Whether the same operation may succeed when retried (I/O pressure, version back-pressure).
    public var isRetriable: Bool { code == .io || code == .tooManyVersions }
}
