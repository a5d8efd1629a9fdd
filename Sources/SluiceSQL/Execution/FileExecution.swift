import Crypto
import Foundation
import SluiceStorage

/// Runs CREATE / DROP / SHOW FILE. CREATE downloads the file once from an unauthenticated
/// `http://` URL (StarRocks' rule), checks the optional `md5`, and keeps it in the data directory
/// (``StorageEngine/createFile(database:catalog:name:contents:md5:)``).
struct FileExecution {
    let engine: StorageEngine
    let session: Session
    let authorizer: Authorizer
    /// Downloads a URL's body (the server wires an HTTP client; nil: CREATE FILE is unavailable).
    let download: (@Sendable (String) throws -> [UInt8])?

    /// SHOW FILE's columns.
    static let columns = ["FileId", "DbName", "Catalog", "FileName", "FileSize", "MD5"]
    /// Largest file CREATE FILE keeps (StarRocks' `max_small_file_size_bytes`, 1 MB).
    static let maxBytes = 1 << 20

    func run(_ statement: FileStatement) throws -> ResultSet? {
        switch statement {
        case .show(let database):
            let db = try self.database(database)
            if !authorizer.sees(database: db) { try authorizer.require(.any, on: .database(db)) }
            let files = try engine.files(database: db)
            return ResultSet.strings(
                Self.columns,
                files.map { ["\($0.id)", db, $0.catalog, $0.name, "\($0.size)", $0.md5] })
        case .create(let name, let database, let properties):
            try authorizer.require(.file, on: .system)
            let db = try self.database(database)
            let catalog = try Self.catalog(properties)
            guard let url = properties["url"], !url.isEmpty else {
                throw SQLError(.analysis, "File URL is not specified: add \"url\" = \"http://…\" to PROPERTIES")
            }
            guard url.lowercased().hasPrefix("http://") else {
                throw SQLError(
                    .analysis, "Invalid file url: \(url). Only unauthenticated http:// URLs can be downloaded")
            }
            guard let download else { throw SQLError(.analysis, "CREATE FILE is not available in this process") }
            let contents: [UInt8]
            do {
                contents = try download(url)
            } catch {
                throw SQLError(.analysis, "Failed to download file from \(url): \(error)")
            }
            guard contents.count <= Self.maxBytes else {
                throw SQLError(
                    .analysis, "File size \(contents.count) exceeds the limit of \(Self.maxBytes) bytes")
            }
            let md5 = Insecure.MD5.hash(data: contents).map { String(format: "%02x", $0) }.joined()
            if let expected = properties["md5"], expected.lowercased() != md5 {
                throw SQLError(.analysis, "Invalid md5 of file: \(url), expected \(expected.lowercased()), got \(md5)")
            }
            try engine.createFile(database: db, catalog: catalog, name: name, contents: contents, md5: md5)
            return nil
        case .drop(let name, let database, let properties):
            try authorizer.require(.file, on: .system)
            let db = try self.database(database)
            try engine.dropFile(database: db, catalog: try Self.catalog(properties, required: false), name: name)
            return nil
        }
    }

    private func database(_ name: String?) throws -> String {
        guard let db = name ?? session.database else {
            throw SQLError(.noDatabase, "No database selected: add IN db / FROM db, or USE db first")
        }
        return db
    }

    /// The `catalog` property (StarRocks requires it on CREATE; `kafka` is the one jobs read).
    private static func catalog(_ properties: [String: String], required: Bool = true) throws -> String {
        guard let catalog = properties["catalog"], !catalog.isEmpty else {
            if required {
                throw SQLError(.analysis, "Catalog is not specified: add \"catalog\" = \"kafka\" to PROPERTIES")
            }
            return "kafka"
        }
        return catalog
    }
}
