import Dispatch
import Foundation
package import Logging
import SluiceFormat
import SluiceIO
package import SluiceStorage
import Synchronization

/// Runs pipes (spec C.4): lists each pipe's source when no file waits (every `poll_interval`, or
/// once for `AUTO_INGEST = false`), stages new file versions as UNLOADED, and loads them in pieces
/// (`batch_files`, `batch_size`) with one task at a time per pipe. The one owner of pipes and
/// their files; everything is journaled.
///
/// Exactly once per file version: before a task attempt runs, its files are journaled LOADING with
/// the attempt's label (every attempt's, not only the first); the attempt's INSERT commits under
/// that label, in the same journal record as its rows. After a crash, a LOADING file whose labels
/// include a committed one is FINISHED, and one without is loaded again — never twice.
package final class PipeManager: Sendable {
    private struct State {
        var pipes: [Int64: LoadPipe] = [:]
        var files: [Int64: [String: PipeFile]] = [:]
        /// Pipes with a task or a listing in progress.
        var busy: Set<Int64> = []
        /// When each pipe last listed its source.
        var lastListed: [Int64: ContinuousClock.Instant] = [:]
        var stopped = false
    }

    package let engine: StorageEngine
    private let runner: any PipeTaskRunner
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    /// Attempts per task before its files become ERROR; failed tasks before the pipe does.
    static let attemptsPerTask = 5
    static let failedTasksBeforeError = 5

    package init(engine: StorageEngine, runner: any PipeTaskRunner, logger: Logger = Logger(label: "sluice.pipe")) {
        self.engine = engine
        self.runner = runner
        self.logger = logger
    }

    // MARK: Start and stop

    /// Reads the journaled pipes and files (LOADING files resolved by their labels) and starts
    /// the scheduler thread.
    package func start() {
        var pipes = [Int64: LoadPipe]()
        var files = [Int64: [String: PipeFile]]()
        for record in engine.fileLoadJobs where record.kind == .pipe {
            guard var pipe = LoadPipe.decode(record.payload) else { continue }
            var known = [String: PipeFile]()
            var resolved = [PipeFileEntry]()
            for entry in engine.pipeFiles(pipeID: pipe.id) {
                guard var file = PipeFile.decode(entry.payload) else { continue }
                if file.state == .loading {
                    let committed = file.labels.contains {
                        engine.committedLabel(database: pipe.database, label: $0) != nil
                    }
                    file.state = committed ? .finished : .unloaded
                    if committed {
                        file.finishLoadTime = Self.now()
                        pipe.loadedFiles += 1
                        pipe.loadedBytes += file.size
                        pipe.lastLoadedTime = file.finishLoadTime
                    }
                    resolved.append(PipeFileEntry(path: file.path, version: file.version, payload: file.encoded()))
                }
                known[file.key] = file
            }
            if !resolved.isEmpty {
                try? engine.putPipeFiles(pipeID: pipe.id, resolved)
                try? journal(pipe)
            }
            pipes[pipe.id] = pipe
            files[pipe.id] = known
        }
        state.withLock { s in
            s.pipes = pipes
            s.files = files
        }
        let thread = Thread { [self] in schedulerLoop() }
        thread.name = "sluice.pipes"
        thread.start()
    }

    package func shutdown() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    // MARK: Statements

    /// CREATE [OR REPLACE] PIPE.
    package func create(
        database: String, name: String, orReplace: Bool, ifNotExists: Bool, table: String, insertSQL: String,
        filesProperties: [String: String], properties raw: [String: String], owner: String
    ) throws(PipeError) {
        guard let db = try? engine.database(database) else {
            throw PipeError(.unknownDatabase, "Unknown database '\(database)'")
        }
        let properties = try PipeProperties(raw)
        let exists = state.withLock { s in s.pipes.values.contains { $0.database == db.name && $0.name == name } }
        if exists {
            if ifNotExists { return }
            guard orReplace else { throw PipeError(.alreadyExists, "Pipe \(name) already exists") }
            try drop(database: database, name: name, ifExists: true)
        }
        let pipe = LoadPipe(
            id: engine.allocateID(), database: db.name, name: name, table: table, insertSQL: insertSQL,
            filesProperties: filesProperties, properties: properties, createdTime: Self.now(), owner: owner)
        try journal(pipe)
        state.withLock { s in
            s.pipes[pipe.id] = pipe
            s.files[pipe.id] = [:]
        }
        logger.info("pipe created", metadata: ["pipe": "\(db.name).\(name)"])
        wake.signal()
    }

    /// What ALTER PIPE does.
    package enum Alteration: Sendable {
        case suspend, resume, retryAll
        case retryFile(String)
        case set([String: String])
    }

    package func alter(database: String, name: String, _ alteration: Alteration) throws(PipeError) {
        var pipe = try lookup(database: database, name: name)
        var retried = [PipeFile]()
        switch alteration {
        case .suspend:
            pipe.state = .suspended
        case .resume:
            if pipe.state == .suspended || pipe.state == .error {
                pipe.state = .running
                pipe.failedTasks = 0
            }
        case .set(let raw):
            try pipe.properties.apply(raw)
        case .retryAll, .retryFile:
            let files = state.withLock { $0.files[pipe.id] ?? [:] }
            for var file in files.values where file.state == .error {
                if case .retryFile(let path) = alteration, file.path != path, "file://" + file.path != path { continue }
                file.state = .unloaded
                file.errorMessage = nil
                retried.append(file)
            }
            if case .retryFile(let path) = alteration, retried.isEmpty,
                !files.values.contains(where: { $0.path == path || "file://" + $0.path == path })
            {
                throw PipeError(.invalidArgument, "File '\(path)' is not a file of pipe \(name)")
            }
            if pipe.state == .finished || (pipe.state == .error && !retried.isEmpty) {
                pipe.state = .running
                pipe.failedTasks = 0
            }
        }
        try journal(pipe)
        try journalFiles(pipe.id, retried)
        state.withLock { s in
            s.pipes[pipe.id] = pipe
            for file in retried { s.files[pipe.id]?[file.key] = file }
        }
        wake.signal()
    }

    package func drop(database: String, name: String, ifExists: Bool) throws(PipeError) {
        let pipe: LoadPipe
        do {
            pipe = try lookup(database: database, name: name)
        } catch {
            if ifExists && error.code == .unknownPipe { return }
            throw error
        }
        do {
            try engine.dropFileLoadJob(id: pipe.id)
        } catch {
            throw PipeError(.invalidArgument, "cannot drop pipe \(name): \(error)")
        }
        state.withLock { s in
            s.pipes[pipe.id] = nil
            s.files[pipe.id] = nil
            s.lastListed[pipe.id] = nil
        }
    }

    /// The pipes of `database` (all when nil), oldest first.
    package func pipes(database: String?) -> [LoadPipe] {
        state.withLock { s in
            s.pipes.values.filter { database == nil || $0.database.equalsIgnoringCase(database!) }
        }.sorted { $0.id < $1.id }
    }

    /// A pipe's file versions, in the order they were staged.
    package func files(pipeID: Int64) -> [PipeFile] {
        state.withLock { Array(($0.files[pipeID] ?? [:]).values) }.sorted {
            ($0.stagedTime, $0.path, $0.lastModifiedMillis) < ($1.stagedTime, $1.path, $1.lastModifiedMillis)
        }
    }

    /// Files currently LOADING of a pipe (SHOW PIPES' loadingFiles).
    package func loadingCount(pipeID: Int64) -> Int {
        state.withLock { ($0.files[pipeID] ?? [:]).values.filter { $0.state == .loading }.count }
    }

    private func lookup(database: String, name: String) throws(PipeError) -> LoadPipe {
        guard let db = try? engine.database(database) else {
            throw PipeError(.unknownDatabase, "Unknown database '\(database)'")
        }
        guard let pipe = state.withLock({ s in s.pipes.values.first { $0.database == db.name && $0.name == name } })
        else { throw PipeError(.unknownPipe, "Pipe \(name) does not exist in database \(db.name)") }
        return pipe
    }

    // MARK: Scheduling

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Wakes at least every second (or when a statement changes something) and starts the work
    /// that is due: a listing when no file waits, a task when files wait and none runs.
    private func schedulerLoop() {
        while true {
            _ = wake.wait(timeout: .now() + .seconds(1))
            let due = state.withLock { s -> [Int64] in
                guard !s.stopped else { return [] }
                return s.pipes.values.filter { $0.state == .running && !s.busy.contains($0.id) }.map(\.id)
            }
            if state.withLock({ $0.stopped }) { return }
            for id in due {
                state.withLock { _ = $0.busy.insert(id) }
                BackgroundWork.async { [self] in
                    step(id)
                    state.withLock { _ = $0.busy.remove(id) }
                }
            }
        }
    }

    /// One round of a pipe: list if due, then load one piece.
    private func step(_ id: Int64) {
        guard var pipe = state.withLock({ $0.pipes[id] }), pipe.state == .running else { return }
        let waiting = state.withLock { s in (s.files[id] ?? [:]).values.contains { $0.state == .unloaded } }
        if !waiting {
            let due = state.withLock { s -> Bool in
                guard let last = s.lastListed[id] else { return true }
                return ContinuousClock.now - last >= .seconds(pipe.properties.pollIntervalSeconds)
            }
            if pipe.properties.autoIngest ? due : !pipe.listed {
                poll(&pipe)
                guard state.withLock({ $0.pipes[id] }) != nil else { return }
            }
        }
        loadPiece(&pipe)
        settleOneShot(&pipe)
    }

    /// Lists the source and stages file versions not seen before.
    private func poll(_ pipe: inout LoadPipe) {
        state.withLock { $0.lastListed[pipe.id] = ContinuousClock.now }
        let source = FileSource(fileSystem: engine.fileSystem, properties: pipe.filesProperties)
        let paths = (pipe.filesProperties["path"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let listed: [ListedFile]
        do {
            listed = try source.list(paths)
        } catch  where error.code == .noFilesFound {
            listed = []
        } catch {
            fail(&pipe, "poll from source failed: \(error.message)")
            return
        }
        let known = state.withLock { $0.files[pipe.id] ?? [:] }
        let now = Self.now()
        let staged = listed.map {
            PipeFile(
                path: $0.path, version: $0.version, size: Int64($0.size), lastModifiedMillis: $0.modifiedMillis,
                stagedTime: now)
        }.filter { known[$0.key] == nil }
        if !pipe.listed {
            pipe.listed = true
            try? journal(pipe)
            state.withLock { $0.pipes[pipe.id]?.listed = true }
        }
        guard !staged.isEmpty else { return }
        do {
            try journalFiles(pipe.id, staged)
        } catch {
            logger.error("cannot journal pipe files", metadata: ["pipe": "\(pipe.name)", "error": "\(error)"])
            return
        }
        state.withLock { s in
            for file in staged { s.files[pipe.id]?[file.key] = file }
        }
    }

    /// Loads the next piece of UNLOADED files (up to `batch_files`, until `batch_size`).
    private func loadPiece(_ pipe: inout LoadPipe) {
        var piece = [PipeFile]()
        var bytes: Int64 = 0
        for file in files(pipeID: pipe.id) where file.state == .unloaded {
            guard piece.count < pipe.properties.batchFiles, bytes < pipe.properties.batchSize else { break }
            piece.append(file)
            bytes += file.size
        }
        guard !piece.isEmpty else { return }
        let taskID = pipe.nextTaskID
        pipe.nextTaskID += 1
        var lastError = ""
        for attempt in 0..<Self.attemptsPerTask {
            guard state.withLock({ $0.pipes[pipe.id]?.state == .running && !$0.stopped }) else { return }
            let label = "pipe-\(pipe.name)-task-\(taskID)-\(attempt)"
            let start = Self.now()
            for k in piece.indices {
                piece[k].state = .loading
                piece[k].labels.append(label)
                piece[k].startLoadTime = start
            }
            do {
                // The label of this attempt is durable with its files before the attempt runs.
                try journal(pipe)
                try journalFiles(pipe.id, piece)
            } catch {
                logger.error("cannot journal a pipe task", metadata: ["pipe": "\(pipe.name)", "error": "\(error)"])
                return
            }
            state.withLock { s in
                s.pipes[pipe.id]?.nextTaskID = pipe.nextTaskID
                for file in piece { s.files[pipe.id]?[file.key] = file }
            }
            let outcome: Result<Int, PipeTaskError> = Result { () throws(PipeTaskError) in
                try runner.run(pipe, files: piece.map(\.path), label: label)
            }
            switch outcome {
            case .success:
                try? FaultPoints.hit("pipe.after_commit")
                finish(&pipe, piece)
                return
            case .failure(let error) where error.code == .labelAlreadyUsed:
                finish(&pipe, piece)
                return
            case .failure(let error):
                lastError = error.message
                logger.warning(
                    "pipe task failed",
                    metadata: ["pipe": "\(pipe.name)", "label": "\(label)", "reason": "\(error.message)"])
            }
        }
        // Every attempt failed: the files are ERROR; too many such tasks stop the pipe.
        let end = Self.now()
        for k in piece.indices {
            piece[k].state = .error
            piece[k].errorMessage = lastError
            piece[k].finishLoadTime = end
        }
        pipe.failedTasks += 1
        pipe.lastError = PipeLastError(message: lastError, time: end)
        if pipe.failedTasks > Self.failedTasksBeforeError { pipe.state = .error }
        try? journalFiles(pipe.id, piece)
        try? journal(pipe)
        let final = pipe
        state.withLock { s in
            if s.pipes[final.id] != nil { s.pipes[final.id] = Self.merge(s.pipes[final.id]!, final) }
            for file in piece { s.files[final.id]?[file.key] = file }
        }
    }

    /// The piece loaded: FINISHED files, the pipe's counters.
    private func finish(_ pipe: inout LoadPipe, _ piece: [PipeFile]) {
        var piece = piece
        let end = Self.now()
        for k in piece.indices {
            piece[k].state = .finished
            piece[k].finishLoadTime = end
        }
        pipe.loadedFiles += piece.count
        pipe.loadedBytes += piece.reduce(0) { $0 + $1.size }
        pipe.lastLoadedTime = end
        try? journalFiles(pipe.id, piece)
        try? journal(pipe)
        let final = pipe
        state.withLock { s in
            if s.pipes[final.id] != nil { s.pipes[final.id] = Self.merge(s.pipes[final.id]!, final) }
            for file in piece { s.files[final.id]?[file.key] = file }
        }
    }

    /// A one-shot pipe whose files all ended: FINISHED, or ERROR when some failed.
    private func settleOneShot(_ pipe: inout LoadPipe) {
        guard !pipe.properties.autoIngest, pipe.listed else { return }
        let files = self.files(pipeID: pipe.id)
        guard !files.contains(where: { $0.state == .unloaded || $0.state == .loading }) else { return }
        guard let current = state.withLock({ $0.pipes[pipe.id] }), current.state == .running else { return }
        var next = current
        if files.contains(where: { $0.state == .error }) {
            next.state = .error
            next.lastError = PipeLastError(message: "leave some unfinished files", time: Self.now())
        } else {
            next.state = .finished
        }
        try? journal(next)
        state.withLock { $0.pipes[next.id] = next }
    }

    private func fail(_ pipe: inout LoadPipe, _ message: String) {
        pipe.state = .error
        pipe.lastError = PipeLastError(message: message, time: Self.now())
        try? journal(pipe)
        let final = pipe
        state.withLock { s in if s.pipes[final.id] != nil { s.pipes[final.id] = final } }
        logger.warning("pipe stopped", metadata: ["pipe": "\(pipe.name)", "reason": "\(message)"])
    }

    /// The task's view of a pipe merged into the current one: a statement may have changed its
    /// state or properties while the task ran; the task contributes counters and errors.
    private static func merge(_ current: LoadPipe, _ task: LoadPipe) -> LoadPipe {
        var merged = current
        merged.loadedFiles = task.loadedFiles
        merged.loadedBytes = task.loadedBytes
        merged.lastLoadedTime = task.lastLoadedTime
        merged.nextTaskID = max(current.nextTaskID, task.nextTaskID)
        merged.failedTasks = task.failedTasks
        merged.lastError = task.lastError ?? current.lastError
        if task.state == .error { merged.state = .error }
        return merged
    }

    // MARK: Journal

    private func journal(_ pipe: LoadPipe) throws(PipeError) {
        guard let db = try? engine.database(pipe.database) else {
            throw PipeError(.unknownDatabase, "Unknown database '\(pipe.database)'")
        }
        do {
            try engine.putFileLoadJob(
                FileLoadJobRecord(id: pipe.id, databaseID: db.id, kind: .pipe, name: pipe.name, payload: pipe.encoded())
            )
        } catch {
            throw PipeError(.invalidArgument, "cannot record pipe \(pipe.name): \(error)")
        }
    }

    private func journalFiles(_ pipeID: Int64, _ files: [PipeFile]) throws(PipeError) {
        do {
            try engine.putPipeFiles(
                pipeID: pipeID, files.map { PipeFileEntry(path: $0.path, version: $0.version, payload: $0.encoded()) })
        } catch {
            throw PipeError(.invalidArgument, "cannot record pipe files: \(error)")
        }
    }
}
