/// A file-load job (Broker Load, Pipe) as the journal keeps it: its identity and an opaque
/// payload its owner (SluiceFiles) encodes — definition, state, progress. Each change replaces the
/// whole record, so a job is always read back as one consistent value.
package struct FileLoadJobRecord: Codable, Sendable, Hashable {
    package enum Kind: String, Codable, Sendable {
        case broker = "BROKER"
        case pipe = "PIPE"
    }

    package var id: Int64
    package var databaseID: Int64
    package var kind: Kind
    /// The Broker Load label or the pipe name.
    package var name: String
    package var payload: [UInt8]

    package init(id: Int64, databaseID: Int64, kind: Kind, name: String, payload: [UInt8]) {
        self.id = id
        self.databaseID = databaseID
        self.kind = kind
        self.name = name
        self.payload = payload
    }
}

/// One file version a pipe knows (path + version: the S3 ETag or the modification time), with an
/// opaque state its owner (SluiceFiles) encodes. Kept per pipe, changed by `putPipeFiles` records
/// of just the files that changed.
package struct PipeFileEntry: Codable, Sendable, Hashable {
    package var path: String
    package var version: String
    package var payload: [UInt8]

    package init(path: String, version: String, payload: [UInt8]) {
        self.path = path
        self.version = version
        self.payload = payload
    }

    /// The key of a file version within its pipe.
    package var key: String { path + "\u{0}" + version }
}
