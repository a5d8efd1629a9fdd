/// Why a load failed. ``SluiceHTTP`` maps these to StarRocks' `Status` and message; lower layers
/// never speak HTTP.
package struct LoadError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidArgument, analysis, tableMissing, tooManyFilteredRows, bodyTooLarge, bodyIncomplete, timeout,
                storage, cancelled, tooBusy, sourceRangeConflict, sourceGap, schemaRegistry
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A header or option value is not valid (the message names it).
        package static let invalidArgument = Code(.invalidArgument)
        /// `columns`/`where` do not fit the table (unknown column, bad expression, NOT NULL without value).
        package static let analysis = Code(.analysis)
        /// The target database, table or a partition the load wrote is gone (never existed, or
        /// dropped or truncated while the load ran).
        package static let tableMissing = Code(.tableMissing)
        /// More rows were filtered than `max_filter_ratio` allows.
        package static let tooManyFilteredRows = Code(.tooManyFilteredRows)
        package static let bodyTooLarge = Code(.bodyTooLarge)
        /// The client sent fewer bytes than promised or disconnected.
        package static let bodyIncomplete = Code(.bodyIncomplete)
        package static let timeout = Code(.timeout)
        /// Storage refused the write or the commit (I/O, dropped table…).
        package static let storage = Code(.storage)
        package static let cancelled = Code(.cancelled)
        /// The running loads hold the whole memory budget (`load.total_memory_limit_bytes`):
        /// nothing was written; retry with the same label.
        package static let tooBusy = Code(.tooBusy)
        /// A fenced source batch overlaps committed offsets of its job (remote-sink mode).
        package static let sourceRangeConflict = Code(.sourceRangeConflict)
        /// A fenced source batch does not start at its partition's stored next offset.
        package static let sourceGap = Code(.sourceGap)
        /// The schema registry could not name a message's writer schema (down, an HTTP error, an
        /// unknown id): nothing was loaded; the same messages are read again later.
        package static let schemaRegistry = Code(.schemaRegistry)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
