import SluiceFormat
package import SluiceStorage

/// What a load asks of the table model, checked before any row is read, in StarRocks' order and
/// with its planner messages (spec table-models §2.4, §2.5, §4.2): `negative`, `partial_update`,
/// `merge_condition`.
package enum TableModelRules {
    /// - Parameters:
    ///   - named: schema indices of the columns the load's `columns` names (nil: no `columns`).
    ///   - unmatched: source fields of `columns` that are no table column.
    /// - Returns: the write options these settings become.
    /// - Throws: ``LoadError`` `.analysis` with the StarRocks message.
    package static func check(table: TableMeta, options: LoadOptions, named: Set<Int>?, unmatched: [String] = [])
        throws -> (
            partialColumns: [Int]?, mergeCondition: Int?
        )
    {
        let columns = table.schema.columns
        let isPrimary = table.keysType == .primary
        if options.negative {
            if isPrimary { throw LoadError(.analysis, "Primary key table does not support negative load") }
            let keys = Set(table.keyColumnIndices)
            if let c = columns.indices.first(where: { !keys.contains($0) && columns[$0].aggregate != .sum }) {
                throw LoadError(.analysis, "Column is not SUM AggreateType. column:\(columns[c].name)")
            }
        }
        var partialColumns: [Int]?
        if options.partialUpdate {
            guard isPrimary else { throw LoadError(.analysis, "Only primary key table support partial update") }
            let given = named ?? []
            for name in unmatched where name.lowercased() != LoadOperation.column {
                throw LoadError(
                    .analysis,
                    "partial update column \(name) is not in table \(table.name): name only columns of the table in columns (they are the ones updated)"
                )
            }
            for k in table.keyColumnIndices where !given.contains(k) {
                throw LoadError(.analysis, "key column \(columns[k].name) not in partial update columns")
            }
            if let sortKey = table.sortKey, sortKey != table.keyColumns {
                for name in sortKey where !given.contains(table.schema.index(of: name) ?? -1) {
                    throw LoadError(
                        .analysis, "partial update on table with sort key must provide all sort key columns")
                }
            }
            partialColumns = given.sorted()
        }
        var condition: Int?
        if let name = options.mergeCondition {
            guard isPrimary else {
                throw LoadError(.analysis, "Conditional update only support primary key table \(table.name)")
            }
            guard let c = table.schema.index(of: name), partialColumns?.contains(c) ?? true else {
                throw LoadError(
                    .analysis,
                    "Merge condition column \(name) does not exist. If you are doing partial update with condition update, please check condition column is in the given update columns. Otherwise please check condition column is in table \(table.name)"
                )
            }
            if table.keyColumnIndices.contains(c) {
                throw LoadError(.analysis, "Merge condition column \(columns[c].name) should not be primary key!")
            }
            let type = columns[c].type
            guard type.isNumeric || type == .date || type == .datetime else {
                throw LoadError(
                    .analysis, "Merge condition column has invalid type maybe bitmap/hll/percentile/json/varchar!")
            }
            condition = c
        }
        return (partialColumns, condition)
    }
}
