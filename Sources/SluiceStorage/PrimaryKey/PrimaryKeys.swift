package import SluiceFormat

/// The primary keys of a batch of rows, encoded for the primary index.
///
/// A table whose key is one non-nullable column of the integer lane (BOOLEAN … BIGINT, DATE,
/// DATETIME) keys its index by that `Int64` directly; every other key is StarRocks' byte
/// encoding (`primary_key_encoder.cpp`): one column is its raw value, several are a
/// byte-comparable concatenation.
package enum PrimaryKeys: Sendable {
    case integers([Int64])
    /// Key `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
    case bytes(offsets: [Int], bytes: [UInt8])

    package var count: Int {
        switch self {
        case .integers(let keys): keys.count
        case .bytes(let offsets, _): offsets.count - 1
        }
    }

    /// StarRocks' `primary_key_limit_size` default: an encoded key may be at most this long.
    package static let sizeLimit = 128

    /// The exact StarRocks status message when a key is too long (the whole load fails).
    package static let sizeExceededMessage = "primary key size exceed the limit."
}

/// How a table's key columns become ``PrimaryKeys``.
package struct PrimaryKeyLayout: Sendable, Hashable {
    /// Schema indices of the key columns, in key order.
    package let columns: [Int]
    let types: [ColumnType]
    let nullable: [Bool]

    package init(table: TableMeta) {
        columns = table.keyColumnIndices
        types = columns.map { table.schema.columns[$0].type }
        nullable = columns.map { table.schema.columns[$0].isNullable }
    }

    /// Whether keys are plain `Int64`s.
    package var isInteger: Bool { types.count == 1 && types[0].physical == .int64 && !nullable[0] }

    /// Encodes the keys of `keyColumns` (one vector per key column, in key order).
    package func encode(_ keyColumns: [ColumnVector]) -> PrimaryKeys {
        let rows = keyColumns.first?.count ?? 0
        if isInteger { return .integers(keyColumns[0].ints) }
        var offsets = [Int]()
        offsets.reserveCapacity(rows + 1)
        offsets.append(0)
        var bytes = [UInt8]()
        if types.count == 1, !nullable[0], types[0].physical == .bytes {
            // One string column: the raw value (the common case, copied in one piece).
            return .bytes(
                offsets: keyColumns[0].offsets.map { $0 - keyColumns[0].offsets[0] }, bytes: keyColumns[0].bytes)
        }
        bytes.reserveCapacity(rows * 16)
        for row in 0..<rows {
            for (k, column) in keyColumns.enumerated() {
                append(column, row: row, position: k, into: &bytes)
            }
            offsets.append(bytes.count)
        }
        return .bytes(offsets: offsets, bytes: bytes)
    }

    /// Encoded key length of every row (only the byte encoding can exceed the limit).
    package func firstOversizedRow(_ keyColumns: [ColumnVector]) -> Int? {
        if isInteger { return nil }
        let rows = keyColumns.first?.count ?? 0
        if types.count == 1, !nullable[0], types[0].physical == .bytes {
            let offsets = keyColumns[0].offsets
            for row in 0..<rows where offsets[row + 1] - offsets[row] > PrimaryKeys.sizeLimit { return row }
            return nil
        }
        guard types.contains(where: { $0.physical == .bytes }) else {
            return fixedWidth > PrimaryKeys.sizeLimit ? (rows > 0 ? 0 : nil) : nil
        }
        var scratch = [UInt8]()
        for row in 0..<rows {
            scratch.removeAll(keepingCapacity: true)
            for (k, column) in keyColumns.enumerated() { append(column, row: row, position: k, into: &scratch) }
            if scratch.count > PrimaryKeys.sizeLimit { return row }
        }
        return nil
    }

    private var fixedWidth: Int {
        zip(types, nullable).reduce(0) { $0 + Self.width($1.0) + ($1.1 ? 1 : 0) }
    }

    /// Bytes of a fixed-width key column in the composite encoding.
    static func width(_ type: ColumnType) -> Int {
        switch type {
        case .boolean, .tinyint: 1
        case .smallint: 2
        case .int, .date: 4
        case .bigint, .datetime, .float, .double: 8
        default: 16
        }
    }

    private func append(_ column: ColumnVector, row: Int, position: Int, into bytes: inout [UInt8]) {
        let single = types.count == 1
        if nullable[position] {
            // Nullable keys (UNIQUE/AGGREGATE tables) lead with a marker that sorts NULL first.
            if column.isNull(row) {
                bytes.append(0)
                return
            }
            bytes.append(1)
        }
        let type = types[position]
        switch type.physical {
        case .int64:
            let width = Self.width(type)
            // Big-endian in the type's width (the value fits it), sign bit flipped.
            let biased = UInt64(bitPattern: column.ints[row] << Int64(64 - width * 8)) ^ (1 << 63)
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: biased >> UInt64(56 - i * 8))) }
        case .int128:
            let value = UInt128(bitPattern: column.wides[row]) ^ (1 << 127)
            for i in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: value >> UInt128(120 - i * 8))) }
        case .float64:
            let bits = column.doubles[row].bitPattern
            let ordered = column.doubles[row] < 0 ? ~bits : bits ^ (1 << 63)
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: ordered >> UInt64(56 - i * 8))) }
        case .bytes:
            let value = column.byteSlice(row)
            if single || position == types.count - 1 {
                bytes.append(contentsOf: value)
            } else {
                for b in value {
                    bytes.append(b)
                    if b == 0 { bytes.append(1) }
                }
                bytes.append(0)
                bytes.append(0)
            }
        }
    }
}
