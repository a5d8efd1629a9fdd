import Foundation
import SluiceIO

/// The one durable log of decisions: checkpoint + journal files in `meta/`.
///
/// - ``append(_:)`` writes a record and fsyncs before returning: once it returns, the decision
///   survives any crash.
/// - A checkpoint is written beside a fresh journal; old files are removed only after the new
///   checkpoint is durable, so a crash at any point leaves a recoverable pair.
/// Not thread-safe: ``StorageEngine`` serialises access.
final class MetaJournal {
    static let checkpointRecordType: UInt8 = 100

    private let fileSystem: any FileSystem
    private let directory: DataDirectory
    private var writer: RecordLogWriter
    private(set) var sequence: Int
    private(set) var recordsSinceCheckpoint = 0
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private init(fileSystem: any FileSystem, directory: DataDirectory, writer: RecordLogWriter, sequence: Int) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.writer = writer
        self.sequence = sequence
    }

    /// Loads the newest valid checkpoint, replays the journals after it, then starts a new
    /// checkpoint + journal pair and removes the old files.
    static func recover(fileSystem: any FileSystem, directory: DataDirectory) throws -> (
        MetaJournal, MetaState, RecoveryReport
    ) {
        try fileSystem.createDirectory(directory.metaDirectory)
        let (state, report, base, lastJournal) = try read(fileSystem: fileSystem, directory: directory)
        let next = max(base, lastJournal ?? 0) + 1
        let writer = try RecordLogWriter(fileSystem: fileSystem, path: directory.journal(next))
        let journal = MetaJournal(fileSystem: fileSystem, directory: directory, writer: writer, sequence: next)
        try fileSystem.syncDirectory(directory.metaDirectory)
        try journal.writeCheckpoint(state, sequence: next)
        return (journal, state, report)
    }

    /// Loads the newest valid checkpoint and replays the journals after it, without writing
    /// anything (recovery and fsck). - Returns: the state, what was found, the checkpoint's
    /// sequence and the newest journal's.
    static func read(
        fileSystem: any FileSystem, directory: DataDirectory
    ) throws -> (MetaState, RecoveryReport, base: Int, lastJournal: Int?) {
        let names = try fileSystem.listDirectory(directory.metaDirectory)
        let checkpoints = names.compactMap { DataDirectory.sequence(of: $0, prefix: "checkpoint") }.sorted(by: >)
        let journals = names.compactMap { DataDirectory.sequence(of: $0, prefix: "journal") }.sorted()
        var report = RecoveryReport()
        var state = MetaState()
        var base = 0
        for candidate in checkpoints {
            if let loaded = try? loadCheckpoint(fileSystem: fileSystem, path: directory.checkpoint(candidate)) {
                state = loaded
                base = candidate
                break
            }
            report.discardedCheckpoints += 1
        }
        let decoder = JSONDecoder()
        let replayed = journals.filter { $0 >= base }
        var contents = [(path: String, log: RecordLogContents)]()
        for sequence in replayed {
            let path = directory.journal(sequence)
            contents.append((path, try RecordLogReader.read(fileSystem: fileSystem, path: path)))
        }
        for (position, (path, log)) in contents.enumerated() {
            // A torn frame is expected only at the very end of the newest records (a crash while
            // appending). Anything after it — intact frames in the same file or records in a later
            // journal — were acknowledged after the damage: refuse to drop them silently.
            if let offset = log.corruptionOffset {
                throw StorageError(
                    .corruption,
                    "metadata journal \(path) is damaged: a torn record at byte \(offset) is followed by "
                        + "\(log.framesAfterCorruption) intact record(s); refusing to start so they are not lost. "
                        + "Run `sluice fsck --data-dir \(directory.root)` and restore the directory from a backup")
            }
            if log.tornBytes > 0, let later = contents[(position + 1)...].first(where: { !$0.log.records.isEmpty }) {
                throw StorageError(
                    .corruption,
                    "metadata journal \(path) is damaged: it ends in \(log.tornBytes) torn bytes but the later "
                        + "journal \(later.path) holds records; refusing to start so they are not lost. "
                        + "Run `sluice fsck --data-dir \(directory.root)` and restore the directory from a backup")
            }
            report.tornBytes += log.tornBytes
            for (index, record) in log.records.enumerated() {
                let decoded: JournalRecord
                do {
                    decoded = try decoder.decode(JournalRecord.self, from: Data(record.payload))
                } catch {
                    throw StorageError(.corruption, "journal \(path) record \(index) does not decode: \(error)")
                }
                state.apply(decoded)
                report.replayedRecords += 1
            }
        }
        return (state, report, base, journals.last)
    }

    private static func loadCheckpoint(fileSystem: any FileSystem, path: String) throws -> MetaState {
        guard let record = try RecordLogReader.read(fileSystem: fileSystem, path: path).records.first,
            record.type == checkpointRecordType
        else {
            throw StorageError(.corruption, "checkpoint \(path) is empty or torn")
        }
        return try JSONDecoder().decode(MetaState.self, from: Data(record.payload))
    }

    /// Appends one record and makes it durable.
    func append(_ record: JournalRecord) throws {
        try appendUnsynced(record)
        try sync()
    }

    /// Records appended since the last ``sync()`` (not durable yet).
    private var unsynced = 0

    /// Appends one record without making it durable (group commit: ``sync()`` follows for the
    /// whole group). A failed append leaves the journal as it was.
    func appendUnsynced(_ record: JournalRecord) throws {
        let payload = try [UInt8](encoder.encode(record))
        try writer.append(type: record.typeTag, payload: payload, faultPoint: "storage.journal_write")
        unsynced += 1
    }

    /// Makes every appended record durable; when it fails they are all taken back.
    func sync() throws {
        defer { unsynced = 0 }
        try writer.sync()
        recordsSinceCheckpoint += unsynced
    }

    /// Starts a new journal file; returns its sequence. The caller then writes the checkpoint of
    /// the state as of this call with ``writeCheckpoint(_:sequence:)`` (outside its lock if it likes).
    func rotate() throws -> Int {
        // A journal that may end in a partial frame must not be followed by another one.
        try writer.ensureIntact()
        let next = sequence + 1
        let newWriter = try RecordLogWriter(fileSystem: fileSystem, path: directory.journal(next))
        try fileSystem.syncDirectory(directory.metaDirectory)
        try? writer.close()
        writer = newWriter
        sequence = next
        recordsSinceCheckpoint = 0
        return next
    }

    /// Writes `checkpoint-<sequence>` atomically, then removes files older than it.
    func writeCheckpoint(_ state: MetaState, sequence: Int) throws {
        let path = directory.checkpoint(sequence)
        let temporary = path + ".tmp"
        let payload = try [UInt8](encoder.encode(state))
        let writer = try RecordLogWriter(fileSystem: fileSystem, path: temporary)
        try writer.append(type: Self.checkpointRecordType, payload: payload)
        try writer.sync()
        try writer.close()
        try fileSystem.rename(temporary, to: path)
        try fileSystem.syncDirectory(directory.metaDirectory)
        for name in try fileSystem.listDirectory(directory.metaDirectory) {
            let old =
                (DataDirectory.sequence(of: name, prefix: "checkpoint").map { $0 < sequence } ?? false)
                || (DataDirectory.sequence(of: name, prefix: "journal").map { $0 < sequence } ?? false)
                || name.hasSuffix(".tmp")
            if old { try fileSystem.removeFile(FilePath.join(directory.metaDirectory, name)) }
        }
        try fileSystem.syncDirectory(directory.metaDirectory)
    }

    func close() { try? writer.close() }
}

/// What recovery found.
package struct RecoveryReport: Sendable {
    package var replayedRecords = 0
    /// Bytes of a half-written journal tail that were ignored.
    package var tornBytes = 0
    package var discardedCheckpoints = 0
    package var removedOrphans = 0
}
