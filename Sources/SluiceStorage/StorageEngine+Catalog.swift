import SluiceFormat
import SluiceIO
import Synchronization

extension StorageEngine {
    // MARK: Databases

    // MARK: Access

    /// Users, roles and grants as of now.
    package var access: AccessControl { publishedAccess.withLock { $0 } }

    /// Changes users, roles or grants: `change` runs on a copy under the writer lock; if it
    /// throws nothing is written, else the new state is journaled (fsynced) as one record.
    package func changeAccess(_ change: (inout AccessControl) throws -> Void) throws {
        try write { core in
            var access = core.meta.access
            try change(&access)
            guard access != core.meta.access else { return }
            try journal(.access(access), in: &core)
            publishedAccess.withLock { $0 = access }
        }
    }

    /// Creates a database. - Throws: `.alreadyExists` unless `ifNotExists`.
    package func createDatabase(_ name: String, ifNotExists: Bool = false) throws {
        try write { core in
            if core.meta.database(named: name) != nil {
                if ifNotExists { return }
                throw StorageError(.alreadyExists, "Can't create database '\(name)'; database exists")
            }
            try journal(.createDatabase(id: allocateID(), name: name), in: &core)
        }
    }

    /// Drops a database and all its tables.
    package func dropDatabase(_ name: String, ifExists: Bool = false) throws {
        let obsolete = try write { core -> [String] in
            guard let db = core.meta.database(named: name) else {
                if ifExists { return [] }
                throw StorageError(.unknownDatabase, "Can't drop database '\(name)'; database doesn't exist")
            }
            try journal(.dropDatabase(id: db.id), in: &core)
            return db.tables.values.flatMap { tabletDirectories(of: $0.partitions) }
        }
        retire(obsolete)
    }

    package func databaseNames() -> [String] {
        core.withLock { $0.meta.databases.values.map(\.name) }.sorted()
    }

    package func database(_ name: String) throws -> DatabaseMeta {
        guard let db = core.withLock({ $0.meta.database(named: name) }) else {
            throw StorageError(.unknownDatabase, "Unknown database '\(name)'")
        }
        return db
    }

    // MARK: Tables

    /// A consistent snapshot of a table.
    package func table(database: String, name: String) throws -> TableMeta {
        let db = try self.database(database)
        guard let table = db.table(named: name) else {
            throw StorageError(.unknownTable, "Unknown table '\(database).\(name)'")
        }
        return table
    }

    /// Creates a table with its initial partitions and one tablet per partition × bucket.
    package func createTable(database: String, _ definition: TableDefinition, ifNotExists: Bool = false) throws {
        try write { core in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            if db.table(named: definition.name) != nil {
                if ifNotExists { return }
                throw StorageError(.alreadyExists, "Table '\(definition.name)' already exists")
            }
            let table = try buildTable(definition, databaseID: db.id)
            try journal(.createTable(table), in: &core)
        }
    }

    private func buildTable(_ definition: TableDefinition, databaseID: Int64) throws -> TableMeta {
        guard !definition.columns.isEmpty else { throw StorageError(.invalidDefinition, "a table needs columns") }
        var definition = definition
        var seen = Set<String>()
        for i in definition.columns.indices {
            definition.columns[i].id = i
            guard seen.insert(definition.columns[i].name.lowercased()).inserted else {
                throw StorageError(.invalidDefinition, "Duplicate column name '\(definition.columns[i].name)'")
            }
        }
        let (columns, keys, sortKey) = try KeysValidation.apply(&definition)
        let schema = TableSchema(columns: columns)
        for column in definition.distribution.columns where schema.index(of: column) == nil {
            throw StorageError(.invalidDefinition, "Distribution column '\(column)' does not exist")
        }
        guard (1...1024).contains(definition.distribution.buckets) else {
            throw StorageError(.invalidDefinition, "BUCKETS must be between 1 and 1024")
        }
        var table = TableMeta(
            id: allocateID(), databaseID: databaseID, name: definition.name, schema: TableSchema(columns: columns),
            keysType: definition.keysType, keyColumns: keys, sortKey: sortKey, partitioning: definition.partitioning,
            distribution: definition.distribution, properties: definition.properties, partitions: [],
            nextColumnID: columns.count, version: 1, createTime: options.now())
        switch definition.partitioning {
        case .none:
            table.partitions = [
                makePartition(name: definition.name, lower: nil, upper: nil, buckets: table.distribution.buckets)
            ]
        case .range(let column), .dateTrunc(_, let column):
            guard let index = schema.index(of: column) else {
                throw StorageError(.invalidDefinition, "Partition column '\(column)' does not exist")
            }
            let type = schema.columns[index].type
            if case .dateTrunc = definition.partitioning, type != .date, type != .datetime {
                throw StorageError(.invalidDefinition, "date_trunc partitioning needs a DATE or DATETIME column")
            }
            table.partitions = try rangePartitions(
                definition.partitions, type: type, existing: [], buckets: table.distribution.buckets)
        }
        return table
    }

    func makePartition(name: String, lower: Value?, upper: Value?, buckets: Int) -> PartitionMeta {
        PartitionMeta(
            id: allocateID(), name: name, lower: lower, upper: upper,
            tablets: (0..<buckets).map { TabletMeta(id: allocateID(), bucket: $0, rowsets: []) }, visibleVersion: 1)
    }

    /// Converts RANGE definitions into partitions, checking order and overlap with `existing`.
    func rangePartitions(
        _ definitions: [PartitionDefinition], type: ColumnType, existing: [PartitionMeta], buckets: Int
    ) throws -> [PartitionMeta] {
        func bound(_ text: String?) throws -> Value? {
            guard let text else { return nil }
            guard case .success(let value) = ValueParser.parse(text, as: type) else {
                throw StorageError(.invalidDefinition, "Invalid partition value '\(text)' for type \(type.sqlName)")
            }
            return value
        }
        var result = [PartitionMeta]()
        var previousUpper: Value? = existing.compactMap(\.upper).max { compareValues($0, $1) < 0 }
        var names = Set(existing.map { $0.name.lowercased() })
        for definition in definitions {
            guard names.insert(definition.name.lowercased()).inserted else {
                throw StorageError(.invalidDefinition, "Duplicate partition name \(definition.name)")
            }
            let lower = try definition.lower.map { try bound($0) } ?? previousUpper
            let upper = try bound(definition.upper)
            if let lower, let upper, compareValues(lower, upper) >= 0 {
                throw StorageError(
                    .invalidDefinition,
                    "The lower values must smaller than upper values in partition \(definition.name)")
            }
            let candidate = PartitionMeta(
                id: 0, name: definition.name, lower: lower, upper: upper, tablets: [], visibleVersion: 1)
            for other in existing + result where overlaps(candidate, other) {
                throw StorageError(
                    .invalidDefinition, "Range of partition \(definition.name) overlaps partition \(other.name)")
            }
            result.append(makePartition(name: definition.name, lower: lower, upper: upper, buckets: buckets))
            previousUpper = upper
        }
        return result
    }

    private func overlaps(_ a: PartitionMeta, _ b: PartitionMeta) -> Bool {
        let aBelowB = a.upper.map { upper in b.lower.map { compareValues(upper, $0) <= 0 } ?? false } ?? false
        let bBelowA = b.upper.map { upper in a.lower.map { compareValues(upper, $0) <= 0 } ?? false } ?? false
        return !(aBelowB || bBelowA)
    }

    /// Drops a table; its files are removed once no scan reads them.
    package func dropTable(database: String, name: String, ifExists: Bool = false) throws {
        let obsolete = try write { core -> [String] in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            guard let table = db.table(named: name) else {
                if ifExists { return [] }
                throw StorageError(.unknownTable, "Unknown table '\(database).\(name)'")
            }
            try journal(.dropTable(databaseID: db.id, tableID: table.id), in: &core)
            return tabletDirectories(of: table.partitions)
        }
        retire(obsolete)
    }

    /// Empties a table: every partition gets fresh, empty tablets.
    package func truncateTable(database: String, name: String) throws {
        let obsolete = try write { core -> [String] in
            let table = try lockedTable(core, database, name)
            let fresh = table.partitions.map {
                makePartition(name: $0.name, lower: $0.lower, upper: $0.upper, buckets: $0.tablets.count)
            }
            try journal(.truncateTable(databaseID: table.databaseID, tableID: table.id, partitions: fresh), in: &core)
            return tabletDirectories(of: table.partitions)
        }
        retire(obsolete)
    }

    /// Adds explicit RANGE partitions.
    package func addPartitions(
        database: String, table name: String, _ definitions: [PartitionDefinition], buckets: Int?
    )
        throws
    {
        try write { core in
            let table = try lockedTable(core, database, name)
            guard case .range(let column) = table.partitioning, let type = table.schema[column]?.type else {
                throw StorageError(.invalidDefinition, "Table '\(name)' is not RANGE partitioned")
            }
            let partitions = try rangePartitions(
                definitions, type: type, existing: table.partitions, buckets: buckets ?? table.distribution.buckets)
            try journal(
                .addPartitions(databaseID: table.databaseID, tableID: table.id, partitions: partitions), in: &core)
        }
    }

    /// Drops a partition and its data.
    package func dropPartition(database: String, table name: String, partition: String, ifExists: Bool = false) throws {
        let obsolete = try write { core -> [String] in
            let table = try lockedTable(core, database, name)
            guard let p = table.partition(named: partition) else {
                if ifExists { return [] }
                throw StorageError(.unknownPartition, "Partition \(partition) does not exist")
            }
            try journal(.dropPartition(databaseID: table.databaseID, tableID: table.id, partitionID: p.id), in: &core)
            return tabletDirectories(of: [p])
        }
        retire(obsolete)
    }

    /// Creates `date_trunc` partitions for the given lower bounds (idempotent).
    func addAutomaticPartitions(table snapshot: TableMeta, lowerBounds: [Int64]) throws -> TableMeta {
        try write { core in
            guard let table = core.meta.databases[snapshot.databaseID]?.tables[snapshot.id] else {
                throw StorageError(.unknownTable, "Table '\(snapshot.name)' was dropped during the load")
            }
            guard case .dateTrunc(let unit, let column) = table.partitioning,
                let type = table.schema[column]?.type
            else { return table }
            var partitions = [PartitionMeta]()
            for lower in lowerBounds where !table.partitions.contains(where: { $0.lower == .int(lower) }) {
                let isDate = type == .date
                let micros = isDate ? lower * CivilTime.microsPerDay : lower
                guard let next = CivilTime.advance(micros: micros, unit: unit.rawValue) else { continue }
                let upper = isDate ? next / CivilTime.microsPerDay : next
                partitions.append(
                    makePartition(
                        name: Self.automaticPartitionName(micros: micros, unit: unit), lower: .int(lower),
                        upper: .int(upper),
                        buckets: table.distribution.buckets))
            }
            if !partitions.isEmpty {
                try journal(
                    .addPartitions(databaseID: table.databaseID, tableID: table.id, partitions: partitions), in: &core)
            }
            return core.meta.databases[table.databaseID]!.tables[table.id]!
        }
    }

    /// StarRocks-style names: `p20240101` (day), `p202401` (month), `p2024` (year), `p2024010112` (hour).
    static func automaticPartitionName(micros: Int64, unit: TimeUnit) -> String {
        let text = CivilTime.formatDateTime(micros).filter { $0.isNumber }
        let digits: Int =
            switch unit {
            case .year: 4
            case .quarter, .month: 6
            case .week, .day: 8
            case .hour: 10
            case .minute: 12
            case .second: 14
            }
        return "p" + text.prefix(digits)
    }

    func lockedTable(_ core: borrowing Core, _ database: String, _ name: String) throws -> TableMeta {
        guard let db = core.meta.database(named: database) else {
            throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
        }
        guard let table = db.table(named: name) else {
            throw StorageError(.unknownTable, "Unknown table '\(database).\(name)'")
        }
        return table
    }

    func tabletDirectories(of partitions: [PartitionMeta]) -> [String] {
        partitions.flatMap { $0.tablets.map { directory.tablet($0.id) } }
    }

    /// Hands obsolete paths to the read tracker and deletes those no scan can still read.
    func retire(_ paths: [String]) {
        guard !paths.isEmpty else { return }
        delete(readers.retire(paths))
    }

    func delete(_ paths: [String]) {
        for path in paths { try? fileSystem.removeTree(path) }
    }
}
