import SluiceFormat

/// AGGREGATE KEY tables merge on read (spec table-models §4.2): rows with the same key — from
/// any rowset, any load — become one row whose value columns are combined by their function, in
/// commit order (then row order within a load) for REPLACE and REPLACE_IF_NOT_NULL.
struct AggregateMerge {
    let keys: [Int]
    /// Per column: its aggregate (nil for key columns).
    let functions: [AggregateType?]

    init(table: TableMeta) {
        keys = table.keyColumnIndices
        let keySet = Set(keys)
        functions = table.schema.columns.indices.map { c in
            keySet.contains(c) ? nil : (table.schema.columns[c].aggregate ?? .replace)
        }
    }

    /// One row per key of `columns` (full rows in table order, oldest first).
    func merge(_ columns: [ColumnVector]) -> [ColumnVector] {
        let rows = columns.first?.count ?? 0
        guard rows > 0 else { return columns }
        // A stable sort keeps rows of one key in commit and input order.
        let order = sortPermutation(columns, keys: keys)
        var runs = [Range<Int>]()
        var start = 0
        for i in 1...rows where i == rows || !sameKey(columns, order[i - 1], order[i]) {
            runs.append(start..<i)
            start = i
        }
        if runs.count == rows {
            // Nothing to combine: the rows in key order.
            return columns.map { $0.gather(order) }
        }
        var merged = columns.map { ColumnVector(type: $0.type, capacity: runs.count) }
        for (c, column) in columns.enumerated() {
            guard let function = functions[c] else {
                merged[c].append(from: column, rows: runs.map { order[$0.lowerBound] })
                continue
            }
            for run in runs {
                merged[c].append(Self.combine(function, column, rows: run.map { order[$0] }))
            }
        }
        return merged
    }

    private func sameKey(_ columns: [ColumnVector], _ a: Int, _ b: Int) -> Bool {
        for key in keys where columns[key].compareRows(a, b) != 0 { return false }
        return true
    }

    /// The combined value of `rows` (oldest first) of `column`.
    static func combine(_ function: AggregateType, _ column: ColumnVector, rows: [Int]) -> Value {
        switch function {
        case .replace:
            return column.value(at: rows[rows.count - 1])
        case .replaceIfNotNull:
            for row in rows.reversed() where !column.isNull(row) { return column.value(at: row) }
            return .null
        case .max, .min:
            var best: Value = .null
            for row in rows where !column.isNull(row) {
                let value = column.value(at: row)
                let c = best == .null ? (function == .max ? 1 : -1) : compareValues(value, best)
                if (function == .max && c > 0) || (function == .min && c < 0) { best = value }
            }
            return best
        case .sum:
            var any = false
            switch column.type.physical {
            case .int64:
                var total: Int64 = 0
                for row in rows where !column.isNull(row) {
                    total &+= column.ints[row]
                    any = true
                }
                return any ? .int(total) : .null
            case .int128:
                var total: Int128 = 0
                for row in rows where !column.isNull(row) {
                    total &+= column.wides[row]
                    any = true
                }
                return any ? .wide(total) : .null
            case .float64:
                var total = 0.0
                for row in rows where !column.isNull(row) {
                    total += column.doubles[row]
                    any = true
                }
                return any ? .double(total) : .null
            case .bytes:
                return column.value(at: rows[rows.count - 1])
            }
        }
    }
}
