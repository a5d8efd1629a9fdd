import SluiceIO

extension StorageEngine {
    // MARK: Stored files (CREATE FILE)

    /// Keeps `contents` as file `name` of `catalog` in `database`: the contents are written and
    /// synced under `files/<id>` first, then one journal record makes the file exist (a crash in
    /// between leaves an unreferenced file, removed at the next start).
    /// - Throws: `.alreadyExists` for a name taken in that database and catalog, `.unknownDatabase`.
    @discardableResult
    package func createFile(
        database: String, catalog: String, name: String, contents: [UInt8], md5: String
    ) throws -> StoredFile {
        let id = allocateID()
        let path = directory.storedFile(id)
        return try write { core -> StoredFile in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            if core.meta.files.values.contains(where: {
                $0.databaseID == db.id && $0.catalog == catalog && $0.name == name
            }) {
                throw StorageError(.alreadyExists, "File \(name) already exists in db \(database) (catalog \(catalog))")
            }
            do {
                if !fileSystem.isDirectory(directory.filesDirectory) {
                    try fileSystem.createDirectory(directory.filesDirectory)
                    try fileSystem.syncDirectory(directory.root)
                }
                let file = try fileSystem.createFile(path)
                try file.append(contents)
                try file.sync()
                try file.close()
                try fileSystem.syncDirectory(directory.filesDirectory)
            } catch {
                throw StorageError(.io, "cannot store file \(name): \(error)", underlying: error)
            }
            let stored = StoredFile(
                id: id, databaseID: db.id, catalog: catalog, name: name, size: Int64(contents.count), md5: md5)
            try journal(.putFile(stored), in: &core)
            return stored
        }
    }

    /// DROP FILE. - Throws: `.unknownFile` when there is no such file.
    package func dropFile(database: String, catalog: String, name: String) throws {
        let id = try write { core -> Int64 in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            guard
                let file = core.meta.files.values.first(where: {
                    $0.databaseID == db.id && $0.catalog == catalog && $0.name == name
                })
            else {
                throw StorageError(.unknownFile, "File \(name) does not exist in db \(database) (catalog \(catalog))")
            }
            try journal(.dropFile(id: file.id), in: &core)
            return file.id
        }
        try? fileSystem.removeFile(directory.storedFile(id))
    }

    /// The files of a database (SHOW FILE), by id.
    package func files(database: String) throws -> [StoredFile] {
        let meta = metaState
        guard let db = meta.database(named: database) else {
            throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
        }
        return meta.files.values.filter { $0.databaseID == db.id }.sorted { $0.id < $1.id }
    }

    /// File `name` of `catalog` in the database with `databaseID`, and where its contents are.
    package func storedFile(databaseID: Int64, catalog: String, name: String) -> (file: StoredFile, path: String)? {
        guard
            let file = metaState.files.values.first(where: {
                $0.databaseID == databaseID && $0.catalog == catalog && $0.name == name
            })
        else { return nil }
        return (file, directory.storedFile(file.id))
    }
}

extension StorageEngine {
    // MARK: File-load jobs (Broker Load, Pipe)

    /// Journals `job` (created or changed); durable when this returns.
    /// - Throws: `.unknownDatabase` when its database was dropped.
    package func putFileLoadJob(_ job: FileLoadJobRecord) throws {
        try write { core in
            guard core.meta.databases[job.databaseID] != nil else {
                throw StorageError(.unknownDatabase, "Unknown database id \(job.databaseID)")
            }
            try journal(.putFileLoadJob(job), in: &core)
        }
    }

    /// Forgets a file-load job.
    package func dropFileLoadJob(id: Int64) throws {
        try write { core in
            guard core.meta.fileLoadJobs[id] != nil else { return }
            try journal(.dropFileLoadJob(id: id), in: &core)
        }
    }

    /// The journaled file-load jobs, by id.
    package var fileLoadJobs: [FileLoadJobRecord] {
        metaState.fileLoadJobs.values.sorted { $0.id < $1.id }
    }
}

extension StorageEngine {
    // MARK: Pipe files

    /// Journals pipe files added or changed; durable when this returns.
    package func putPipeFiles(pipeID: Int64, _ files: [PipeFileEntry]) throws {
        guard !files.isEmpty else { return }
        try write { core in
            guard core.meta.fileLoadJobs[pipeID] != nil else {
                throw StorageError(.unknownTable, "Unknown pipe id \(pipeID)")
            }
            try journal(.putPipeFiles(pipeID: pipeID, files: files), in: &core)
        }
    }

    /// A pipe's journaled files.
    package func pipeFiles(pipeID: Int64) -> [PipeFileEntry] {
        Array((metaState.pipeFiles[pipeID] ?? [:]).values)
    }
}
