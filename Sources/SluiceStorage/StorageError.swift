/// Errors of the storage engine: catalog lookups, DDL conflicts, I/O and corruption.
package struct StorageError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unknownDatabase, unknownTable, unknownPartition, unknownJob, unknownFile, alreadyExists
            case invalidDefinition
            case invalidData, corruption, io, closed, tooManyVersions, unsupported, sourceRangeConflict, sourceGap
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let unknownDatabase = Code(.unknownDatabase)
        package static let unknownTable = Code(.unknownTable)
        package static let unknownPartition = Code(.unknownPartition)
        /// A source job (Routine Load) does not exist.
        package static let unknownJob = Code(.unknownJob)
        /// A stored file (CREATE FILE) does not exist.
        package static let unknownFile = Code(.unknownFile)
        package static let alreadyExists = Code(.alreadyExists)
        /// A CREATE/ALTER statement that cannot be honoured (bad partition bounds, unknown column…).
        package static let invalidDefinition = Code(.invalidDefinition)
        /// Rows that do not fit the table (no partition for a value, NULL in NOT NULL column…).
        package static let invalidData = Code(.invalidData)
        /// Bytes on disk failed a checksum or did not parse; the message names file and offset.
        package static let corruption = Code(.corruption)
        package static let io = Code(.io)
        package static let closed = Code(.closed)
        package static let tooManyVersions = Code(.tooManyVersions)
        /// A feature the engine does not have yet (the message says which and what to use).
        package static let unsupported = Code(.unsupported)
        /// A fenced source batch overlaps offsets its job already committed (another writer got
        /// there first); the message names the stored positions.
        package static let sourceRangeConflict = Code(.sourceRangeConflict)
        /// A fenced source batch does not start at its partition's stored next offset.
        package static let sourceGap = Code(.sourceGap)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    package var underlying: (any Error)?

    package init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    package var description: String { message }

    /// Whether the same operation may succeed when retried (I/O pressure, version back-pressure).
    package var isRetriable: Bool { code == .io || code == .tooManyVersions }
}
