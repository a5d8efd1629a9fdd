public import SluiceFormat

/// An append-only log of CRC-framed records — the metadata journal's container.
///
/// Frame: `u32 length` (of type + payload), `u32 crc32c(type + payload)`, `u8 type`, payload.
/// A torn or corrupt frame ends the log: ``RecordLogReader`` returns the records before it and
/// where the valid prefix ends, so recovery ignores a half-written tail.
public final class RecordLogWriter {
    private let file: any WritableFile
    public let path: String

    /// Creates (truncating) a log file.
    public init(fileSystem: any FileSystem, path: String) throws {
        self.file = try fileSystem.createFile(path)
        self.path = path
    }

    /// Bytes written so far.
    public var size: Int { file.size }

    /// Appends one record (not yet durable; call ``sync()``).
    public func append(type: UInt8, payload: [UInt8]) throws {
        var frame = ByteWriter(capacity: payload.count + 9)
        frame.write(UInt32(payload.count + 1))
        var crc = CRC32C.checksum([type])
        crc = CRC32C.checksum(payload, continuing: crc)
        frame.write(crc)
        frame.write(type)
        frame.write(bytes: payload)
        try file.append(frame.bytes)
    }

    public func sync() throws { try file.sync() }
    public func close() throws { try file.close() }
}

/// One decoded record of a ``RecordLogWriter`` log.
public struct LogRecord: Sendable {
    public var type: UInt8
    public var payload: [UInt8]
    /// Offset of the frame in the file.
    public var offset: Int
}

public enum RecordLogReader {
    /// Reads every intact record; stops at the first torn or corrupt frame.
    /// - Returns: the records and the byte length of the valid prefix.
    public static func read(fileSystem: any FileSystem, path: String) throws -> (records: [LogRecord], validLength: Int) {
        let bytes = try fileSystem.readFile(path)
        var records = [LogRecord]()
        var position = 0
        while position + 9 <= bytes.count {
            var reader = ByteReader(bytes, start: position)
            guard let length = try? reader.read(UInt32.self), let crc = try? reader.read(UInt32.self),
                length >= 1, position + 8 + Int(length) <= bytes.count
            else { break }
            let body = bytes[(position + 8)..<(position + 8 + Int(length))]
            guard CRC32C.checksum(body) == crc else { break }
            records.append(LogRecord(type: body.first!, payload: Array(body.dropFirst()), offset: position))
            position += 8 + Int(length)
        }
        return (records, position)
    }
}
