import SluiceFormat

/// An append-only log of CRC-framed records — the metadata journal's container.
///
/// Frame: `u32 length` (of type + payload), `u32 crc32c(type + payload)`, `u8 type`, payload.
///
/// The writer never leaves a partial frame in front of later ones: a failed append or sync cuts
/// the file back to the last good frame boundary (the end of the last synced frame after a
/// failed sync — those records were never acknowledged). If the cut itself fails, the writer
/// refuses every append until a later attempt at the cut succeeds. So a reader only ever sees
/// a torn frame at the very end of a log (a crash while appending); a torn frame followed by
/// valid ones is corruption (``RecordLogContents/corruptionOffset``).
package final class RecordLogWriter {
    private let file: any WritableFile
    package let path: String
    /// End of the last complete, written frame.
    private var goodSize = 0
    /// End of the last frame made durable by ``sync()``.
    private var syncedSize = 0
    /// Set when a cut back to `goodSize` failed: the file may end in garbage.
    private var needsRepair = false

    /// Creates (truncating) a log file.
    package init(fileSystem: any FileSystem, path: String) throws {
        self.file = try fileSystem.createFile(path)
        self.path = path
    }

    /// Bytes of complete frames written so far.
    package var size: Int { goodSize }

    /// Appends one record (not yet durable; call ``sync()``). When it throws, the log holds
    /// exactly the frames it held before the call.
    /// - Parameter faultPoint: a ``FaultPoints`` name; when armed to fail, half of the frame is
    ///   written before the error (the short write a full disk produces).
    package func append(type: UInt8, payload: [UInt8], faultPoint: String? = nil) throws {
        try ensureIntact()
        var frame = ByteWriter(capacity: payload.count + 9)
        frame.write(UInt32(payload.count + 1))
        var crc = CRC32C.checksum([type])
        crc = CRC32C.checksum(payload, continuing: crc)
        frame.write(crc)
        frame.write(type)
        frame.write(bytes: payload)
        do {
            if let faultPoint {
                do {
                    try FaultPoints.hit(faultPoint)
                } catch {
                    try file.append(Array(frame.bytes.prefix(frame.bytes.count / 2)))
                    throw error
                }
            }
            try file.append(frame.bytes)
        } catch {
            cut(to: goodSize)
            throw error
        }
        goodSize = file.size
    }

    /// Makes every appended record durable. When it throws, the records appended since the
    /// last successful sync are taken back (they were never durable, so never acknowledged).
    package func sync() throws {
        try ensureIntact()
        do {
            try file.sync()
        } catch {
            cut(to: syncedSize)
            throw error
        }
        syncedSize = goodSize
    }

    package func close() throws { try file.close() }

    private func cut(to length: Int) {
        do {
            try file.truncate(to: length)
            goodSize = length
            syncedSize = min(syncedSize, length)
            needsRepair = false
        } catch {
            needsRepair = true
        }
    }

    /// Throws unless the file ends at a frame boundary (retrying a failed cut first).
    package func ensureIntact() throws {
        guard needsRepair else { return }
        do {
            try file.truncate(to: syncedSize)
            goodSize = syncedSize
            needsRepair = false
        } catch {
            throw IOError(
                .io,
                "the log cannot be cut back to its last good record after a failed write (\(error)); "
                    + "free disk space or restart the server", path: path)
        }
    }
}

/// One decoded record of a ``RecordLogWriter`` log.
package struct LogRecord: Sendable {
    package var type: UInt8
    package var payload: [UInt8]
    /// Offset of the frame in the file.
    package var offset: Int
}

/// What ``RecordLogReader`` found in a log file.
package struct RecordLogContents: Sendable {
    /// Every intact record before the first torn or corrupt frame.
    package var records: [LogRecord]
    /// Byte length of that valid prefix.
    package var validLength: Int
    /// The file's size.
    package var size: Int
    /// Offset of a torn frame that has intact frames after it (nil for a clean log or a torn
    /// tail). A writer never produces this — it is damage, not a crash.
    package var corruptionOffset: Int?
    /// How many intact frames follow that torn frame.
    package var framesAfterCorruption = 0

    /// Bytes after the valid prefix.
    package var tornBytes: Int { size - validLength }
}

package enum RecordLogReader {
    /// Reads every intact record; stops at the first torn or corrupt frame, then looks past it
    /// for intact frames to tell a torn tail (a crash) from damage in the middle.
    package static func read(fileSystem: any FileSystem, path: String) throws -> RecordLogContents {
        let bytes = try fileSystem.readFile(path)
        var records = [LogRecord]()
        var position = 0
        while let length = frameLength(bytes, at: position) {
            let body = bytes[(position + 8)..<(position + length)]
            records.append(LogRecord(type: body.first!, payload: Array(body.dropFirst()), offset: position))
            position += length
        }
        var contents = RecordLogContents(records: records, validLength: position, size: bytes.count)
        // Resynchronise: any intact frame at a later byte offset means the torn frame was not
        // the tail. Frames are checked by length bound and CRC, so garbage rarely qualifies.
        var probe = position + 1
        while probe + 9 <= bytes.count {
            if let length = frameLength(bytes, at: probe) {
                if contents.corruptionOffset == nil { contents.corruptionOffset = position }
                contents.framesAfterCorruption += 1
                probe += length
            } else {
                probe += 1
            }
        }
        return contents
    }

    /// The length of the intact frame at `position` (header included), or nil.
    private static func frameLength(_ bytes: [UInt8], at position: Int) -> Int? {
        guard position + 9 <= bytes.count else { return nil }
        var reader = ByteReader(bytes, start: position)
        guard let length = try? reader.read(UInt32.self), let crc = try? reader.read(UInt32.self),
            length >= 1, Int(length) <= bytes.count - position - 8
        else { return nil }
        let body = bytes[(position + 8)..<(position + 8 + Int(length))]
        guard CRC32C.checksum(body) == crc else { return nil }
        return 8 + Int(length)
    }
}
