import SluiceIO

/// Every on-disk name of a data directory is made here (docs/on-disk-format.md).
///
/// ```
/// LOCK
/// meta/checkpoint-<seq>     catalog + transaction state at journal sequence <seq>
/// meta/journal-<seq>        records after that checkpoint
/// tablets/<tablet>/<rowset>/<n>.seg
/// errors/                   error logs of loads
/// ```
public struct DataDirectory: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var lockFile: String { FilePathJoin.join(root, "LOCK") }
    public var metaDirectory: String { FilePathJoin.join(root, "meta") }
    public var tabletsDirectory: String { FilePathJoin.join(root, "tablets") }
    public var errorsDirectory: String { FilePathJoin.join(root, "errors") }

    public func checkpoint(_ sequence: Int) -> String {
        FilePathJoin.join(metaDirectory, "checkpoint-\(pad(sequence))")
    }
    public func journal(_ sequence: Int) -> String { FilePathJoin.join(metaDirectory, "journal-\(pad(sequence))") }
    public func tablet(_ tabletID: Int64) -> String { FilePathJoin.join(tabletsDirectory, String(tabletID)) }
    public func rowset(tablet tabletID: Int64, rowset: Int64) -> String {
        FilePathJoin.join(self.tablet(tabletID), String(rowset))
    }
    public func segment(tablet: Int64, rowset: Int64, index: Int) -> String {
        FilePathJoin.join(self.rowset(tablet: tablet, rowset: rowset), "\(index).seg")
    }

    /// Parses `checkpoint-000012` / `journal-000012` names.
    public static func sequence(of name: String, prefix: String) -> Int? {
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
