import SluiceIO

/// Every on-disk name of a data directory is made here (docs/on-disk-format.md).
///
/// ```
/// LOCK
/// meta/checkpoint-<seq>     catalog + transaction state at journal sequence <seq>
/// meta/journal-<seq>        records after that checkpoint
/// tablets/<tablet>/<rowset>/<n>.seg
/// tablets/<tablet>/primary-index  snapshot of a merge-on-write tablet's primary index
/// errors/                   error logs of loads
/// files/<id>                contents of CREATE FILE (certificates and keys jobs refer to as FILE:name)
/// ```
package struct DataDirectory: Sendable {
    package let root: String

    package init(root: String) { self.root = root }

    package var lockFile: String { FilePathJoin.join(root, "LOCK") }
    package var metaDirectory: String { FilePathJoin.join(root, "meta") }
    package var tabletsDirectory: String { FilePathJoin.join(root, "tablets") }
    package var errorsDirectory: String { FilePathJoin.join(root, "errors") }
    package var filesDirectory: String { FilePathJoin.join(root, "files") }
    /// The contents of stored file `id` (CREATE FILE).
    package func storedFile(_ id: Int64) -> String { FilePathJoin.join(filesDirectory, String(id)) }

    package func checkpoint(_ sequence: Int) -> String {
        FilePathJoin.join(metaDirectory, "checkpoint-\(pad(sequence))")
    }
    package func journal(_ sequence: Int) -> String { FilePathJoin.join(metaDirectory, "journal-\(pad(sequence))") }
    package func tablet(_ tabletID: Int64) -> String { FilePathJoin.join(tabletsDirectory, String(tabletID)) }
    package func rowset(tablet tabletID: Int64, rowset: Int64) -> String {
        FilePathJoin.join(self.tablet(tabletID), String(rowset))
    }
    /// The primary index snapshot of a merge-on-write tablet (derived data; may be stale or absent).
    package func primaryIndex(tablet: Int64) -> String {
        FilePathJoin.join(self.tablet(tablet), Self.primaryIndexName)
    }
    package static let primaryIndexName = "primary-index"

    package func segment(tablet: Int64, rowset: Int64, index: Int) -> String {
        FilePathJoin.join(self.rowset(tablet: tablet, rowset: rowset), "\(index).seg")
    }

    /// Parses `checkpoint-000012` / `journal-000012` names.
    package static func sequence(of name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix + "-"), !name.hasSuffix(".tmp") else { return nil }
        return Int(name.dropFirst(prefix.count + 1))
    }

    private func pad(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}

enum FilePathJoin {
    static func join(_ parts: String...) -> String { FilePath.join(parts) }
}
