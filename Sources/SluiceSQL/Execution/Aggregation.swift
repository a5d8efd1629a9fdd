import SluiceExpr
import SluiceFormat

/// Hash aggregation: group ids per row, then typed accumulator arrays per aggregate.
struct HashAggregator {
    struct Spec {
        var kind: AggregateKind
        /// nil for `count(*)`.
        var argument: BoundExpr?
        var distinct: Bool
        var resultType: ColumnType
    }

    let keyTypes: [ColumnType]
    let specs: [Spec]
    private var groups = GroupTable()
    private var keys: [ColumnVector]
    private var states: [AggregateState]

    init(keyTypes: [ColumnType], specs: [Spec]) {
        self.keyTypes = keyTypes
        self.specs = specs
        self.keys = keyTypes.map { ColumnVector(type: $0) }
        self.states = specs.map { AggregateState(spec: $0) }
    }

    static func resultType(_ kind: AggregateKind, _ argument: ColumnType?) -> ColumnType {
        switch kind {
        case .count: return .bigint
        case .sum:
            guard let t = argument else { return .bigint }
            switch t {
            case .decimal(_, let s): return .decimal(precision: 38, scale: s)
            case .largeint: return .largeint
            case .float, .double: return .double
            case .boolean, .tinyint, .smallint, .int, .bigint: return .bigint
            default: return .double
            }
        case .avg:
            if case .decimal(_, let s) = argument { return .decimal(precision: 38, scale: min(max(s, 4) + 2, 18)) }
            return .double
        case .min, .max: return argument ?? .bigint
        }
    }

    /// Argument type an aggregate needs (strings summed as DOUBLE).
    static func argumentType(_ kind: AggregateKind, _ t: ColumnType) -> ColumnType {
        switch kind {
        case .sum, .avg:
            if t.isString || t == .date || t == .datetime { return .double }
            if case .decimal(_, let s) = t { return .decimal(precision: 38, scale: s) }
            return t.isInteger && t != .largeint ? .bigint : t
        default: return t
        }
    }

    var groupCount: Int { groups.count }

    /// Adds rows: `keyColumns` are the evaluated group keys, `arguments` one column per spec (nil for count(*)).
    mutating func add(keyColumns: [ColumnVector], arguments: [ColumnVector?], rows: Int) {
        let ids = groups.assign(keyColumns, rows: rows) { row in
            for (k, column) in keyColumns.enumerated() { keys[k].append(from: column, row: row) }
        }
        let groupCount = groups.count
        for i in states.indices {
            states[i].grow(to: groupCount)
            states[i].update(ids: ids, argument: arguments[i], rows: rows)
        }
    }

    /// Ensures one (empty) group exists for a global aggregate over no rows.
    /// Approximate bytes held: the group keys plus a hash entry and one accumulator per
    /// aggregate per group (DISTINCT sets are not counted).
    var approximateBytes: Int {
        keys.reduce(0) { $0 + $1.memoryFootprint } + groups.count * (48 + 24 * specs.count)
    }

    mutating func ensureGlobalGroup() {
        guard keyTypes.isEmpty, groups.count == 0 else { return }
        _ = groups.assign([], rows: 1) { _ in }
        for i in states.indices { states[i].grow(to: 1) }
    }

    /// Key columns followed by one result column per spec.
    func finish() -> [ColumnVector] {
        keys + states.map { $0.result(groups: groups.count) }
    }
}

/// Assigns dense group ids to key tuples.
struct GroupTable {
    private var intMap: [Int64: Int32] = [:]
    private var intNullGroup: Int32?
    private var byteMap: [[UInt8]: Int32] = [:]
    private var strings = ByteDictionary()
    private var stringGroups: [Int32] = []
    private var stringNullGroup: Int32?
    private(set) var count = 0

    mutating func assign(_ keys: [ColumnVector], rows: Int, onNew: (Int) -> Void) -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        if keys.isEmpty {
            if count == 0 {
                count = 1
                onNew(0)
            }
            return ids
        }
        if keys.count == 1, keys[0].type.physical == .int64 {
            let column = keys[0]
            for r in 0..<rows {
                if column.isNull(r) {
                    if intNullGroup == nil { intNullGroup = newGroup(r, onNew) }
                    ids[r] = intNullGroup!
                } else if let id = intMap[column.ints[r]] {
                    ids[r] = id
                } else {
                    let id = newGroup(r, onNew)
                    intMap[column.ints[r]] = id
                    ids[r] = id
                }
            }
            return ids
        }
        if keys.count == 1, keys[0].type.physical == .bytes {
            let column = keys[0]
            // From one dictionary page: hash each distinct string once, then map codes to groups.
            let dictionary = column.dictionaryCodes
            var entryGroups = [Int32](repeating: -1, count: dictionary?.entries ?? 0)
            let codes = dictionary?.codes ?? []
            column.bytes.withUnsafeBytes { raw in
                codes.withUnsafeBufferPointer { codes in
                    for r in 0..<rows {
                        if column.isNull(r) {
                            if stringNullGroup == nil { stringNullGroup = newGroup(r, onNew) }
                            ids[r] = stringNullGroup!
                            continue
                        }
                        if !codes.isEmpty, entryGroups[Int(codes[r])] >= 0 {
                            ids[r] = entryGroups[Int(codes[r])]
                            continue
                        }
                        let id = strings.intern(
                            UnsafeRawBufferPointer(rebasing: raw[column.offsets[r]..<column.offsets[r + 1]]))
                        if id == stringGroups.count { stringGroups.append(newGroup(r, onNew)) }
                        ids[r] = stringGroups[id]
                        if !codes.isEmpty { entryGroups[Int(codes[r])] = ids[r] }
                    }
                }
            }
            return ids
        }
        var buffer = [UInt8]()
        for r in 0..<rows {
            buffer.removeAll(keepingCapacity: true)
            for column in keys {
                if column.isNull(r) {
                    buffer.append(0)
                    continue
                }
                buffer.append(1)
                switch column.type.physical {
                case .int64: withUnsafeBytes(of: column.ints[r]) { buffer.append(contentsOf: $0) }
                case .int128: withUnsafeBytes(of: column.wides[r]) { buffer.append(contentsOf: $0) }
                case .float64: withUnsafeBytes(of: column.doubles[r]) { buffer.append(contentsOf: $0) }
                case .bytes:
                    let slice = column.byteSlice(r)
                    withUnsafeBytes(of: UInt32(slice.count)) { buffer.append(contentsOf: $0) }
                    buffer.append(contentsOf: slice)
                }
            }
            if let id = byteMap[buffer] {
                ids[r] = id
            } else {
                let id = newGroup(r, onNew)
                byteMap[buffer] = id
                ids[r] = id
            }
        }
        return ids
    }

    private mutating func newGroup(_ row: Int, _ onNew: (Int) -> Void) -> Int32 {
        let id = Int32(count)
        count += 1
        onNew(row)
        return id
    }
}

/// Accumulators of one aggregate over all groups.
struct AggregateState {
    let spec: HashAggregator.Spec
    var counts: [Int64] = []
    var ints: [Int64] = []
    var wides: [Int128] = []
    var doubles: [Double] = []
    var values: [Value] = []
    var distinctSets: [Set<Value>] = []

    init(spec: HashAggregator.Spec) { self.spec = spec }

    var lane: PhysicalType { spec.argument?.type.physical ?? .int64 }

    mutating func grow(to n: Int) {
        guard counts.count < n else { return }
        let extra = n - counts.count
        counts.append(contentsOf: repeatElement(0, count: extra))
        if spec.distinct {
            distinctSets.append(contentsOf: repeatElement([], count: extra))
            return
        }
        switch spec.kind {
        case .count: break
        case .sum, .avg:
            switch lane {
            case .int64: ints.append(contentsOf: repeatElement(0, count: extra))
            case .int128: wides.append(contentsOf: repeatElement(0, count: extra))
            default: doubles.append(contentsOf: repeatElement(0, count: extra))
            }
        case .min, .max:
            switch lane {
            case .int64: ints.append(contentsOf: repeatElement(0, count: extra))
            case .int128: wides.append(contentsOf: repeatElement(0, count: extra))
            case .float64: doubles.append(contentsOf: repeatElement(0, count: extra))
            case .bytes: values.append(contentsOf: repeatElement(.null, count: extra))
            }
        }
    }

    mutating func update(ids: [Int32], argument: ColumnVector?, rows: Int) {
        guard let argument else {
            for r in 0..<rows { counts[Int(ids[r])] += 1 }
            return
        }
        if spec.distinct {
            for r in 0..<rows where !argument.isNull(r) {
                let g = Int(ids[r])
                if distinctSets[g].insert(argument.value(at: r)).inserted { counts[g] += 1 }
            }
            return
        }
        let hasNulls = argument.hasNulls
        switch (spec.kind, argument.type.physical) {
        case (.count, _):
            for r in 0..<rows where !hasNulls || argument.nulls[r] == 0 { counts[Int(ids[r])] += 1 }
        case (.sum, .int64), (.avg, .int64):
            argument.ints.withUnsafeBufferPointer { x in
                for r in 0..<rows where !hasNulls || argument.nulls[r] == 0 {
                    let g = Int(ids[r])
                    ints[g] &+= x[r]
                    counts[g] += 1
                }
            }
        case (.sum, .int128), (.avg, .int128):
            for r in 0..<rows where !hasNulls || argument.nulls[r] == 0 {
                let g = Int(ids[r])
                wides[g] &+= argument.wides[r]
                counts[g] += 1
            }
        case (.sum, _), (.avg, _):
            for r in 0..<rows where !hasNulls || argument.nulls[r] == 0 {
                let g = Int(ids[r])
                doubles[g] += argument.doubles[r]
                counts[g] += 1
            }
        case (.min, let lane), (.max, let lane):
            let isMin = spec.kind == .min
            for r in 0..<rows where !hasNulls || argument.nulls[r] == 0 {
                let g = Int(ids[r])
                let first = counts[g] == 0
                counts[g] += 1
                switch lane {
                case .int64:
                    let v = argument.ints[r]
                    if first || (isMin ? v < ints[g] : v > ints[g]) { ints[g] = v }
                case .int128:
                    let v = argument.wides[r]
                    if first || (isMin ? v < wides[g] : v > wides[g]) { wides[g] = v }
                case .float64:
                    let v = argument.doubles[r]
                    if first || (isMin ? v < doubles[g] : v > doubles[g]) { doubles[g] = v }
                case .bytes:
                    let v = argument.byteSlice(r)
                    if first {
                        values[g] = .bytes(Array(v))
                    } else if case .bytes(let current) = values[g] {
                        let c = compareBytes(v, current[...])
                        if isMin ? c < 0 : c > 0 { values[g] = .bytes(Array(v)) }
                    }
                }
            }
        }
    }

    func result(groups n: Int) -> ColumnVector {
        let type = spec.resultType
        var out = ColumnVector(type: type, capacity: n)
        for g in 0..<n {
            if spec.kind == .count {
                out.appendInt(counts[g])
                continue
            }
            if counts[g] == 0 {
                out.appendNull()
                continue
            }
            switch spec.kind {
            case .sum:
                switch lane {
                case .int64: out.append(.int(ints[g]))
                case .int128: out.append(.wide(wides[g]))
                default: out.append(.double(doubles[g]))
                }
            case .avg:
                let c = counts[g]
                switch (lane, type) {
                case (.int128, .decimal(_, let rs)):
                    let s = spec.argument?.type.decimalScale ?? 0
                    let scaled = DecimalArithmetic.rescale(wides[g], from: s, to: rs + 1) ?? 0
                    var q = scaled / Int128(c)
                    q = q >= 0 ? (q + 5) / 10 : (q - 5) / 10
                    out.append(.wide(q))
                case (.int64, _): out.append(.double(Double(ints[g]) / Double(c)))
                case (.int128, _): out.append(.double(Double(wides[g]) / Double(c)))
                default: out.append(.double(doubles[g] / Double(c)))
                }
            case .min, .max:
                switch lane {
                case .int64: out.append(.int(ints[g]))
                case .int128: out.append(.wide(wides[g]))
                case .float64: out.append(.double(doubles[g]))
                case .bytes: out.append(values[g])
                }
            case .count: break
            }
        }
        return out
    }
}
