import SluiceFormat

/// Everything the journal decides: catalog, data layout and committed labels.
///
/// A value type: copying a ``TableMeta`` out of it is a consistent read snapshot, and applying a
/// record to a copy never disturbs readers of the old one.
package struct MetaState: Codable, Sendable {
    package var databases: [Int64: DatabaseMeta] = [:]
    /// Next id for databases, tables, partitions, tablets, rowsets and transactions.
    package var nextID: Int64 = 10_000
    /// Committed labels per database id.
    package var labels: [Int64: [String: LabelEntry]] = [:]
    /// PREPARED transactions by transaction id.
    package var prepared: [Int64: PreparedTransaction] = [:]
    /// Aborted transactions per database id and label (at most ``abortedPerDatabase`` each).
    package var aborted: [Int64: [String: AbortedTransaction]] = [:]
    /// Source jobs (Routine Load) by id, with their committed progress.
    package var jobs: [Int64: SourceJob] = [:]
    /// Users, roles and grants (initially `'root'@'%'` with the `root` role).
    package var access = AccessControl()
    /// Files of CREATE FILE by id (certificates and keys Routine Load jobs name as `FILE:name`).
    package var files: [Int64: StoredFile] = [:]
    /// Broker Load jobs and pipes by id.
    package var fileLoadJobs: [Int64: FileLoadJobRecord] = [:]
    /// Each pipe's file versions, by ``PipeFileEntry/key``.
    package var pipeFiles: [Int64: [String: PipeFileEntry]] = [:]

    /// How many aborted transactions a database remembers (oldest forgotten first).
    package static let abortedPerDatabase = 10_000

    package init() {}

    private enum CodingKeys: String, CodingKey {
        case databases, nextID, labels, prepared, aborted, jobs, access, files, fileLoadJobs, pipeFiles
    }

    /// Checkpoints written before a field existed decode it as empty.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        databases = try c.decode([Int64: DatabaseMeta].self, forKey: .databases)
        nextID = try c.decode(Int64.self, forKey: .nextID)
        labels = try c.decodeIfPresent([Int64: [String: LabelEntry]].self, forKey: .labels) ?? [:]
        prepared = try c.decodeIfPresent([Int64: PreparedTransaction].self, forKey: .prepared) ?? [:]
        aborted = try c.decodeIfPresent([Int64: [String: AbortedTransaction]].self, forKey: .aborted) ?? [:]
        jobs = try c.decodeIfPresent([Int64: SourceJob].self, forKey: .jobs) ?? [:]
        access = try c.decodeIfPresent(AccessControl.self, forKey: .access) ?? AccessControl()
        files = try c.decodeIfPresent([Int64: StoredFile].self, forKey: .files) ?? [:]
        fileLoadJobs = try c.decodeIfPresent([Int64: FileLoadJobRecord].self, forKey: .fileLoadJobs) ?? [:]
        pipeFiles = try c.decodeIfPresent([Int64: [String: PipeFileEntry]].self, forKey: .pipeFiles) ?? [:]
    }

    package func database(named name: String) -> DatabaseMeta? {
        databases.values.first { $0.name.equalsIgnoringCase(name) }
    }

    /// Every rowset id referenced by a tablet or a PREPARED transaction.
    package var referencedRowsets: Set<Int64> {
        var result = Set<Int64>()
        for transaction in prepared.values { for rowset in transaction.rowsets.values { result.insert(rowset.id) } }
        for db in databases.values {
            for table in db.tables.values {
                for partition in table.partitions {
                    for tablet in partition.tablets { for rowset in tablet.rowsets { result.insert(rowset.id) } }
                }
            }
        }
        return result
    }

    /// The PREPARED transaction holding `label` in a database, if any.
    package func preparedTransaction(databaseID: Int64, label: String) -> PreparedTransaction? {
        prepared.values.first { $0.databaseID == databaseID && $0.label == label }
    }

    /// Every tablet id of every table (and of PREPARED transactions, whose tablets may be gone).
    package var tabletIDs: Set<Int64> {
        var result = Set<Int64>()
        for transaction in prepared.values { result.formUnion(transaction.rowsets.keys) }
        for db in databases.values {
            for table in db.tables.values {
                for partition in table.partitions { for tablet in partition.tablets { result.insert(tablet.id) } }
            }
        }
        return result
    }

    private mutating func reserve(_ id: Int64) {
        if id >= nextID { nextID = id + 1 }
    }

    private mutating func updateTable(_ databaseID: Int64, _ tableID: Int64, _ body: (inout TableMeta) -> Void) {
        guard var table = databases[databaseID]?.tables[tableID] else { return }
        body(&table)
        databases[databaseID]!.tables[tableID] = table
    }

    /// Applies one record. Records were validated before they were journaled, so applying never
    /// fails; a record naming a dropped object is ignored (it cannot be observed).
    package mutating func apply(_ record: JournalRecord) {
        switch record {
        case .createDatabase(let id, let name):
            reserve(id)
            databases[id] = DatabaseMeta(id: id, name: name, tables: [:])
        case .dropDatabase(let id):
            databases[id] = nil
            files = files.filter { $0.value.databaseID != id }
            for job in fileLoadJobs.values where job.databaseID == id { pipeFiles[job.id] = nil }
            fileLoadJobs = fileLoadJobs.filter { $0.value.databaseID != id }
            labels[id] = nil
            aborted[id] = nil
            prepared = prepared.filter { $0.value.databaseID != id }
        case .createTable(let table):
            reserve(table.id)
            for partition in table.partitions { reservePartition(partition) }
            databases[table.databaseID]?.tables[table.id] = table
        case .dropTable(let databaseID, let tableID):
            databases[databaseID]?.tables[tableID] = nil
        case .addPartitions(let databaseID, let tableID, let partitions):
            for partition in partitions { reservePartition(partition) }
            updateTable(databaseID, tableID) { table in
                table.partitions.append(contentsOf: partitions)
                table.partitions.sort { compareBounds($0.lower, $1.lower) < 0 }
            }
        case .dropPartition(let databaseID, let tableID, let partitionID):
            updateTable(databaseID, tableID) { $0.partitions.removeAll { $0.id == partitionID } }
        case .truncateTable(let databaseID, let tableID, let partitions):
            for partition in partitions { reservePartition(partition) }
            updateTable(databaseID, tableID) { table in
                table.partitions = partitions
                table.version += 1
            }
        case .commit(let commit):
            prepared[commit.transactionID] = nil
            aborted[commit.databaseID]?[commit.label] = nil
            applyCommit(commit)
        case .commitTables(let commits):
            for commit in commits {
                aborted[commit.databaseID]?[commit.label] = nil
                applyCommit(commit)
            }
            // The label counts what every part added; it names the first part's table.
            if let first = commits.first, var entry = labels[first.databaseID]?[first.label] {
                entry.tableID = first.tableID
                entry.attachment = first.attachment
                entry.rowCount = commits.reduce(0) { $0 + $1.rowCount }
                entry.byteCount = commits.reduce(0) { $0 + $1.byteCount }
                labels[first.databaseID]![first.label] = entry
            }
        case .prepare(let transaction):
            reserve(transaction.transactionID)
            for rowset in transaction.rowsets.values { reserve(rowset.id) }
            prepared[transaction.transactionID] = transaction
            aborted[transaction.databaseID]?[transaction.label] = nil
        case .abortPrepared(let transactionID, let reason):
            if let transaction = prepared.removeValue(forKey: transactionID) {
                remember(
                    AbortedTransaction(
                        databaseID: transaction.databaseID, transactionID: transactionID, label: transaction.label,
                        reason: reason,
                        abortTime: transaction.preparedTime))
            }
        case .abortTransaction(let transaction):
            reserve(transaction.transactionID)
            remember(transaction)
        case .putJob(let id, let databaseID, let name, let definition):
            reserve(id)
            var job = jobs[id] ?? SourceJob(id: id, databaseID: databaseID, name: name, definition: definition)
            job.definition = definition
            job.name = name
            jobs[id] = job
        case .putRemoteJob(let id, let databaseID, let name):
            reserve(id)
            var job = SourceJob(id: id, databaseID: databaseID, name: name, definition: [])
            job.remote = true
            jobs[id] = job
        case .setJobPosition(let id, let position):
            for (partition, offset) in position { jobs[id]?.position[partition] = offset }
        case .planJobBatch(let id, let label, let ranges):
            jobs[id]?.intents[label] = ranges
        case .dropJob(let id):
            jobs[id] = nil
        case .advanceJob(let batch):
            jobs[batch.jobID]?.apply(batch, label: nil)
        case .access(let state):
            access = state
        case .putFile(let file):
            reserve(file.id)
            files[file.id] = file
        case .dropFile(let id):
            files[id] = nil
        case .putFileLoadJob(let job):
            reserve(job.id)
            fileLoadJobs[job.id] = job
        case .dropFileLoadJob(let id):
            fileLoadJobs[id] = nil
            pipeFiles[id] = nil
        case .putPipeFiles(let pipeID, let files):
            guard fileLoadJobs[pipeID] != nil else { return }
            for file in files { pipeFiles[pipeID, default: [:]][file.key] = file }
        case .compact(let databaseID, let tableID, let tabletID, let inputs, let output):
            reserve(output.id)
            updateTable(databaseID, tableID) { table in
                for p in table.partitions.indices {
                    for t in table.partitions[p].tablets.indices where table.partitions[p].tablets[t].id == tabletID {
                        var rowsets = table.partitions[p].tablets[t].rowsets
                        let inputSet = Set(inputs)
                        guard let position = rowsets.firstIndex(where: { inputSet.contains($0.id) }) else { return }
                        rowsets.removeAll { inputSet.contains($0.id) }
                        rowsets.insert(output, at: min(position, rowsets.count))
                        table.partitions[p].tablets[t].rowsets = rowsets
                    }
                }
            }
        }
    }

    private mutating func remember(_ transaction: AbortedTransaction) {
        var entries = aborted[transaction.databaseID, default: [:]]
        entries[transaction.label] = transaction
        if entries.count > Self.abortedPerDatabase,
            let oldest = entries.values.min(by: { $0.transactionID < $1.transactionID })
        {
            entries[oldest.label] = nil
        }
        aborted[transaction.databaseID] = entries
    }

    private mutating func reservePartition(_ partition: PartitionMeta) {
        reserve(partition.id)
        for tablet in partition.tablets {
            reserve(tablet.id)
            for rowset in tablet.rowsets { reserve(rowset.id) }
        }
    }

    private mutating func applyCommit(_ commit: CommitRecord) {
        reserve(commit.transactionID)
        for rowset in commit.rowsets.values { reserve(rowset.id) }
        guard databases[commit.databaseID] != nil else { return }
        updateTable(commit.databaseID, commit.tableID) { table in
            table.version = max(table.version, commit.version)
            for p in table.partitions.indices {
                var touched = false
                for t in table.partitions[p].tablets.indices {
                    let tabletID = table.partitions[p].tablets[t].id
                    if let rowset = commit.rowsets[tabletID] {
                        table.partitions[p].tablets[t].rowsets.append(rowset)
                        touched = true
                    }
                    if let deletes = commit.deletes?[tabletID] {
                        table.partitions[p].tablets[t].applyDeletes(deletes)
                        touched = true
                    }
                }
                if touched { table.partitions[p].visibleVersion = commit.version }
            }
        }
        if let source = commit.source { jobs[source.jobID]?.apply(source, label: commit.label) }
        labels[commit.databaseID, default: [:]][commit.label] = LabelEntry(
            transactionID: commit.transactionID, tableID: commit.tableID, commitTime: commit.commitTime,
            attachment: commit.attachment, jobID: commit.source?.jobID,
            rowCount: commit.rowCount, byteCount: commit.byteCount)
    }

    /// Forgets committed labels older than `cutoff` (seconds since the epoch).
    package mutating func expireLabels(before cutoff: Int64) {
        for db in labels.keys { labels[db] = labels[db]!.filter { $0.value.commitTime >= cutoff } }
        for db in aborted.keys { aborted[db] = aborted[db]!.filter { $0.value.abortTime >= cutoff } }
    }
}

/// Orders partition lower bounds, `nil` (MINVALUE) first.
func compareBounds(_ a: Value?, _ b: Value?) -> Int {
    switch (a, b) {
    case (nil, nil): 0
    case (nil, _): -1
    case (_, nil): 1
    case (let x?, let y?): compareValues(x, y)
    }
}

extension TabletMeta {
    /// Adds rows to the delete vectors of this tablet's segments (rows of segments no longer here
    /// were compacted away: nothing to mark).
    package mutating func applyDeletes(_ deletes: [SegmentDeletes]) {
        for delete in deletes {
            guard let r = rowsets.firstIndex(where: { $0.id == delete.segment.rowset }),
                let s = rowsets[r].segments.firstIndex(where: { $0.index == delete.segment.segment })
            else { continue }
            rowsets[r].segments[s].deleted = rowsets[r].segments[s].deleted.union(delete.rows)
        }
    }
}
