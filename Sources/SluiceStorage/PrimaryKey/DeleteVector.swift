import Foundation
package import SluiceFormat

/// The deleted row ids of one segment (a merge-on-write table's "delvec"): sorted, unique.
///
/// A value: a table snapshot's segments carry theirs, so a scan keeps seeing the rows deleted as
/// of its snapshot while later commits add to a newer copy. In the metadata journal it is one
/// base64 string of varint-coded gaps (a run of consecutive rows costs one byte per row at most,
/// a segment whose every row was superseded ~1 byte per row).
package struct DeleteVector: Sendable, Hashable {
    /// Deleted row ids, ascending.
    package private(set) var rows: [UInt32]

    package init() { rows = [] }

    /// - Parameter rows: any order, duplicates allowed.
    package init(_ rows: some Sequence<UInt32>) {
        var sorted = Array(rows)
        sorted.sort()
        var unique = [UInt32]()
        unique.reserveCapacity(sorted.count)
        for row in sorted where unique.last != row { unique.append(row) }
        self.rows = unique
    }

    package var count: Int { rows.count }
    package var isEmpty: Bool { rows.isEmpty }

    package func contains(_ row: UInt32) -> Bool {
        var low = 0
        var high = rows.count
        while low < high {
            let mid = (low + high) / 2
            if rows[mid] < row { low = mid + 1 } else { high = mid }
        }
        return low < rows.count && rows[low] == row
    }

    /// The union of both vectors.
    package func union(_ other: DeleteVector) -> DeleteVector {
        guard !other.isEmpty else { return self }
        guard !isEmpty else { return other }
        var merged = [UInt32]()
        merged.reserveCapacity(rows.count + other.rows.count)
        var i = 0
        var j = 0
        while i < rows.count || j < other.rows.count {
            let next: UInt32
            if j == other.rows.count || (i < rows.count && rows[i] <= other.rows[j]) {
                next = rows[i]
                i += 1
            } else {
                next = other.rows[j]
                j += 1
            }
            if merged.last != next { merged.append(next) }
        }
        var result = DeleteVector()
        result.rows = merged
        return result
    }

    /// One flag per row of a `rowCount`-row segment, 1 = deleted.
    package func mask(rowCount: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: rowCount)
        for row in rows where Int(row) < rowCount { mask[Int(row)] = true }
        return mask
    }

    /// The binary form: varint count, then varint gaps (first row, then differences minus one).
    package var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.writeVarint(UInt64(rows.count))
        var previous: Int64 = -1
        for row in rows {
            writer.writeVarint(UInt64(Int64(row) - previous - 1))
            previous = Int64(row)
        }
        return writer.bytes
    }

    package init(encoded bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes)
        let count = try reader.readInt()
        // Each row takes at least one byte: a count past what is left is damage, not a size.
        guard count <= bytes.count - reader.position else {
            throw FormatError(.corruption, "delete vector count \(count) past its bytes", offset: reader.position)
        }
        var rows = [UInt32]()
        rows.reserveCapacity(count)
        var previous: Int64 = -1
        for _ in 0..<count {
            let gap = try reader.readVarint()
            guard gap <= UInt64(UInt32.max) else {
                throw FormatError(.corruption, "delete vector row id out of range", offset: reader.position)
            }
            let next = previous + 1 + Int64(gap)
            guard next <= Int64(UInt32.max) else {
                throw FormatError(.corruption, "delete vector row id out of range", offset: reader.position)
            }
            rows.append(UInt32(next))
            previous = next
        }
        self.rows = rows
    }
}

extension DeleteVector: Codable {
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64"))
        }
        self = try DeleteVector(encoded: Array(data))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(encoded).base64EncodedString())
    }
}
