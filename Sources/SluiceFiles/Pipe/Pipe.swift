import Foundation

/// The states of a pipe. The displayed literal for a suspended pipe is `SUSPEND` (StarRocks'
/// enum and its tests; its docs say SUSPENDED).
package enum PipeState: String, Codable, Sendable {
    case running = "RUNNING"
    case suspended = "SUSPEND"
    case finished = "FINISHED"
    case error = "ERROR"
}

/// The load state of one file version of a pipe.
package enum PipeFileState: String, Codable, Sendable {
    case unloaded = "UNLOADED"
    case loading = "LOADING"
    case finished = "FINISHED"
    case error = "ERROR"
}

/// A pipe: a continuous (or one-shot) INSERT from FILES(), file version by file version.
package struct LoadPipe: Codable, Sendable, Hashable {
    package var id: Int64
    package var database: String
    package var name: String
    package var table: String
    /// The `INSERT INTO … SELECT … FROM FILES(...)` the pipe runs, as written.
    package var insertSQL: String
    /// The FILES() properties of that INSERT (the source listed, `path` replaced per task).
    package var filesProperties: [String: String]
    package var properties: PipeProperties
    package var state: PipeState = .running
    /// Seconds since the epoch.
    package var createdTime: Int64
    package var lastError: PipeLastError?
    /// The next task's number (labels `pipe-<name>-task-<n>-<attempt>`).
    package var nextTaskID: Int64 = 1
    /// Tasks that failed every attempt; past 5 the pipe goes to ERROR.
    package var failedTasks = 0
    /// A one-shot pipe (AUTO_INGEST false) lists its source once.
    package var listed = false
    package var loadedFiles = 0
    package var loadedBytes: Int64 = 0
    package var lastLoadedTime: Int64?
    /// The user who created it (tasks run as this user).
    package var owner: String

    package init(
        id: Int64, database: String, name: String, table: String, insertSQL: String, filesProperties: [String: String],
        properties: PipeProperties, createdTime: Int64, owner: String
    ) {
        self.id = id
        self.database = database
        self.name = name
        self.table = table
        self.insertSQL = insertSQL
        self.filesProperties = filesProperties
        self.properties = properties
        self.createdTime = createdTime
        self.owner = owner
    }

    package func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }
    package static func decode(_ payload: [UInt8]) -> LoadPipe? {
        try? JSONDecoder().decode(LoadPipe.self, from: Data(payload))
    }
}

/// SHOW PIPES' LAST_ERROR: `{"errorMessage":"…","errorTime":"…"}`.
package struct PipeLastError: Codable, Sendable, Hashable {
    package var message: String
    /// Seconds since the epoch.
    package var time: Int64
}

/// One file version of a pipe and how far it got.
package struct PipeFile: Codable, Sendable, Hashable {
    package var path: String
    /// The S3 ETag, or the modification time in epoch milliseconds.
    package var version: String
    package var size: Int64
    package var lastModifiedMillis: Int64
    package var state: PipeFileState = .unloaded
    /// Seconds since the epoch.
    package var stagedTime: Int64
    package var startLoadTime: Int64?
    package var finishLoadTime: Int64?
    package var errorMessage: String?
    /// The label of every attempt that loaded it, journaled before the attempt ran: after a
    /// crash, a committed one means the file is loaded.
    package var labels: [String] = []

    package init(path: String, version: String, size: Int64, lastModifiedMillis: Int64, stagedTime: Int64) {
        self.path = path
        self.version = version
        self.size = size
        self.lastModifiedMillis = lastModifiedMillis
        self.stagedTime = stagedTime
    }

    package var key: String { path + "\u{0}" + version }

    func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }
    static func decode(_ payload: [UInt8]) -> PipeFile? {
        try? JSONDecoder().decode(PipeFile.self, from: Data(payload))
    }
}

/// Runs a pipe's task: its INSERT over some files, under a label (SluiceSQL implements it).
package protocol PipeTaskRunner: Sendable {
    /// - Returns: the rows loaded.
    /// - Throws: ``PipeTaskError``.
    func run(_ pipe: LoadPipe, files: [String], label: String) throws(PipeTaskError) -> Int
}

/// Why a task attempt did not load.
package struct PipeTaskError: Error, Sendable {
    package enum Code: Sendable, Equatable {
        /// The label committed already (an earlier attempt loaded the files): success.
        case labelAlreadyUsed
        case failed
    }

    package var code: Code
    package var message: String
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
