import SluiceFormat

/// Routes rows to (partition, bucket): range lookup or `date_trunc` partitions, then a stable hash
/// of the distribution columns.
///
/// The hash is our own (not Swift's per-process seeded `Hasher`), so a row lands in the same
/// bucket in every process.
struct RowRouter {
    enum Target: Equatable {
        case partition(index: Int, bucket: Int)
        /// An expression partition that does not exist yet, identified by its lower bound.
        case missingPartition(lower: Int64, bucket: Int)
        case rejected(reason: String)
    }

    let table: TableMeta
    let partitionColumn: Int?
    let hashColumns: [Int]
    /// Partition indices allowed by the `partitions` header (nil = all).
    let allowedPartitions: Set<Int>?
    private var randomCursor = 0

    init(table: TableMeta, allowedPartitionNames: [String]?) throws {
        self.table = table
        if let column = table.partitioning.column {
            guard let index = table.schema.index(of: column) else {
                throw StorageError(.invalidDefinition, "partition column \(column) does not exist")
            }
            partitionColumn = index
        } else {
            partitionColumn = nil
        }
        hashColumns = table.distribution.columns.compactMap { table.schema.index(of: $0) }
        if let names = allowedPartitionNames {
            var allowed = Set<Int>()
            for name in names {
                guard let index = table.partitions.firstIndex(where: { $0.name.equalsIgnoringCase(name) }) else {
                    throw StorageError(.unknownPartition, "Partition \(name) does not exist")
                }
                allowed.insert(index)
            }
            allowedPartitions = allowed
        } else {
            allowedPartitions = nil
        }
    }

    /// Routes every row of `columns` (in table column order).
    mutating func route(_ columns: [ColumnVector], rowCount: Int) -> [Target] {
        var targets = [Target]()
        targets.reserveCapacity(rowCount)
        let buckets = max(1, table.distribution.buckets)
        for row in 0..<rowCount {
            let bucket: Int
            if hashColumns.isEmpty {
                bucket = randomCursor % buckets
            } else {
                bucket = Int(Self.hash(columns, hashColumns, row) % UInt64(buckets))
            }
            targets.append(partition(columns, row: row, bucket: bucket))
        }
        if hashColumns.isEmpty { randomCursor += 1 }
        return targets
    }

    private func partition(_ columns: [ColumnVector], row: Int, bucket: Int) -> Target {
        guard let partitionColumn else { return .partition(index: 0, bucket: bucket) }
        let column = columns[partitionColumn]
        let value = column.value(at: row)
        switch table.partitioning {
        case .none:
            return .partition(index: 0, bucket: bucket)
        case .range:
            // Partitions are sorted by lower bound; NULL sorts below everything (MINVALUE partition).
            var low = 0
            var high = table.partitions.count - 1
            while low <= high {
                let mid = (low + high) / 2
                let p = table.partitions[mid]
                if let lower = p.lower, compareValues(value, lower) < 0 {
                    high = mid - 1
                } else if let upper = p.upper, compareValues(value, upper) >= 0 {
                    low = mid + 1
                } else {
                    if let allowedPartitions, !allowedPartitions.contains(mid) {
                        return .rejected(reason: "The row is out of partition ranges. Please add a new partition.")
                    }
                    return .partition(index: mid, bucket: bucket)
                }
            }
            return .rejected(reason: "The row is out of partition ranges. Please add a new partition.")
        case .dateTrunc(let unit, _):
            guard case .int(var micros) = value else {
                return .rejected(reason: "NULL value in partition column \(table.partitioning.column ?? "")")
            }
            if column.type == .date { micros *= CivilTime.microsPerDay }
            guard var lower = CivilTime.truncate(micros: micros, unit: unit.rawValue) else {
                return .rejected(reason: "bad partition unit")
            }
            if column.type == .date { lower /= CivilTime.microsPerDay }
            if let index = table.partitions.firstIndex(where: { $0.lower == .int(lower) }) {
                if let allowedPartitions, !allowedPartitions.contains(index) {
                    return .rejected(reason: "The row is out of partition ranges. Please add a new partition.")
                }
                return .partition(index: index, bucket: bucket)
            }
            if allowedPartitions != nil {
                return .rejected(reason: "The row is out of partition ranges. Please add a new partition.")
            }
            return .missingPartition(lower: lower, bucket: bucket)
        }
    }

    /// A stable 64-bit hash of the distribution columns of a row.
    static func hash(_ columns: [ColumnVector], _ indices: [Int], _ row: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in indices {
            let column = columns[index]
            var v: UInt64
            if column.isNull(row) {
                v = 0x5555
            } else {
                switch column.type.physical {
                case .int64: v = UInt64(bitPattern: column.ints[row])
                case .int128:
                    v =
                        UInt64(truncatingIfNeeded: column.wides[row])
                        ^ UInt64(truncatingIfNeeded: column.wides[row] >> 64)
                case .float64: v = column.doubles[row].bitPattern
                case .bytes:
                    v = 0xcbf2_9ce4_8422_2325
                    for b in column.byteSlice(row) { v = (v ^ UInt64(b)) &* 0x100_0000_01b3 }
                }
            }
            h = mix(h ^ v)
        }
        return h
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sorts a set of columns by key columns (stable), returning the permutation.
func sortPermutation(_ columns: [ColumnVector], keys: [Int]) -> [Int] {
    let count = columns.first?.count ?? 0
    var permutation = Array(0..<count)
    guard !keys.isEmpty, count > 1 else { return permutation }
    let first = columns[keys[0]]
    // Fast path: one non-null integer key.
    if keys.count == 1, first.type.physical == .int64, !first.hasNulls {
        let ints = first.ints
        var sorted = true
        for i in 1..<count where ints[i] < ints[i - 1] {
            sorted = false
            break
        }
        if sorted { return permutation }
        permutation.sort { ints[$0] < ints[$1] || (ints[$0] == ints[$1] && $0 < $1) }
        return permutation
    }
    permutation.sort { a, b in
        for key in keys {
            let column = columns[key]
            let c = column.compareRows(a, b)
            if c != 0 { return c < 0 }
        }
        return a < b
    }
    return permutation
}
