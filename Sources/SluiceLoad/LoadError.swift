/// Why a load failed. ``SluiceHTTP`` maps these to StarRocks' `Status` and message; lower layers
/// never speak HTTP.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidArgument, analysis, tableMissing, tooManyFilteredRows, bodyTooLarge, bodyIncomplete, timeout,
                storage, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A header or option value is not valid (the message names it).
        public static let invalidArgument = Code(.invalidArgument)
        /// `columns`/`where` do not fit the table (unknown column, bad expression, NOT NULL without value).
        public static let analysis = Code(.analysis)
        /// The target database, table or a partition the load wrote is gone (never existed, or
        /// dropped or truncated while the load ran).
        public static let tableMissing = Code(.tableMissing)
        /// More rows were filtered than `max_filter_ratio` allows.
        public static let tooManyFilteredRows = Code(.tooManyFilteredRows)
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// The client sent fewer bytes than promised or disconnected.
        public static let bodyIncomplete = Code(.bodyIncomplete)
        public static let timeout = Code(.timeout)
        /// Storage refused the write or the commit (I/O, dropped table…).
        public static let storage = Code(.storage)
        public static let cancelled = Code(.cancelled)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
