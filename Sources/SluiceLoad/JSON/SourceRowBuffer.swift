import SluiceFormat

/// Rows a reader (JSON, Avro) has made but not yet handed on: one column per source field —
/// parsed into its column's type when the field feeds a column directly, else text — the values
/// that failed to convert, and each row's raw bytes for the error log.
struct SourceRowBuffer {
    /// Per field: the column type its text is parsed into right away (nil: kept as text).
    let fieldTypes: [ColumnType?]
    private(set) var columns: [ColumnVector]
    private(set) var failures: [ParseFailures]
    private var rawBytes: [UInt8] = []
    private var rawOffsets: [Int] = [0]

    init(fieldTypes: [ColumnType?]) {
        self.fieldTypes = fieldTypes
        columns = fieldTypes.map { ColumnVector(type: $0 ?? .string) }
        failures = fieldTypes.map { _ in [] }
    }

    /// Rows made so far.
    var count: Int { rawOffsets.count - 1 }

    /// Appends field `j`'s text to its column: parsed into the column's type when the field feeds a
    /// column directly (a failure becomes NULL and is remembered), else as text.
    @inline(__always)
    mutating func appendField(_ j: Int, _ text: UnsafeRawBufferPointer) {
        guard fieldTypes[j] != nil else {
            columns[j].appendBytes(text)
            return
        }
        if !FieldParser.append(text, to: &columns[j]) {
            failures[j].append((count, String(decoding: text, as: UTF8.self)))
        }
    }

    @inline(__always)
    mutating func appendNull(_ j: Int) { columns[j].appendNull() }

    /// Ends the row whose fields were just appended, keeping its raw bytes.
    mutating func endRow(raw: UnsafeRawBufferPointer) {
        rawBytes.append(contentsOf: raw)
        rawOffsets.append(rawBytes.count)
    }

    mutating func endRow(raw: some Collection<UInt8>) {
        rawBytes.append(contentsOf: raw)
        rawOffsets.append(rawBytes.count)
    }

    /// The rows so far, leaving an empty buffer sized for `capacity` more.
    mutating func take(capacity: Int) -> (columns: [ColumnVector], failures: [ParseFailures], raws: RawRows) {
        let taken = (columns, failures, RawRows(bytes: rawBytes, offsets: rawOffsets))
        columns = fieldTypes.map { ColumnVector(type: $0 ?? .string, capacity: capacity) }
        failures = fieldTypes.map { _ in [] }
        rawBytes = []
        rawBytes.reserveCapacity(taken.2.bytes.count)
        rawOffsets = [0]
        rawOffsets.reserveCapacity(capacity + 1)
        return taken
    }
}
