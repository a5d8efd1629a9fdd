import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// CREATE FILE's storage: contents synced before the journal record, both surviving a crash (with
/// and without checkpoints); names unique per database and catalog; DROP removes both; contents a
/// crash left without a record are removed at the next start.
@Suite struct StoredFileTests {
    @Test(arguments: [1, 1000])
    func filesSurviveCrashesAndDropRemovesThem(checkpointInterval: Int) throws {
        let fs = SimulatedFileSystem(seed: 11)
        var options = StorageOptions()
        options.checkpointInterval = checkpointInterval
        var engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        try engine.createDatabase("db")
        let pem = Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8)
        let stored = try engine.createFile(database: "db", catalog: "kafka", name: "ca.pem", contents: pem, md5: "ab")
        #expect(throws: StorageError.self) {
            try engine.createFile(database: "db", catalog: "kafka", name: "ca.pem", contents: [1], md5: "cd")
        }
        try engine.createFile(database: "db", catalog: "other", name: "ca.pem", contents: [2], md5: "ef")
        fs.crash()
        engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        let files = try engine.files(database: "db")
        #expect(files.map(\.name) == ["ca.pem", "ca.pem"])
        #expect(files.map(\.catalog) == ["kafka", "other"])
        let databaseID = try #require(engine.metaState.database(named: "db")?.id)
        let found = try #require(engine.storedFile(databaseID: databaseID, catalog: "kafka", name: "ca.pem"))
        #expect(found.file == stored)
        #expect(try fs.readFile(found.path) == pem)
        try engine.dropFile(database: "db", catalog: "kafka", name: "ca.pem")
        #expect(!fs.fileExists(found.path))
        #expect(throws: StorageError.self) { try engine.dropFile(database: "db", catalog: "kafka", name: "ca.pem") }
        fs.crash()
        engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        #expect(try engine.files(database: "db").map(\.catalog) == ["other"])
        // Contents without a record (a crash between the write and the journal) go at start.
        let orphan = engine.directory.storedFile(999_999)
        let file = try fs.createFile(orphan)
        try file.append([1, 2, 3])
        try file.sync()
        try file.close()
        fs.crash()
        engine = try StorageEngine(path: "/data", fileSystem: fs, options: options)
        #expect(!fs.fileExists(orphan))
        // Dropping the database drops its files.
        try engine.dropDatabase("db")
        #expect(engine.metaState.files.isEmpty)
    }
}
