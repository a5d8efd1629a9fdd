/// Values of Hive-style partition directories (`…/city=beijing/dt=2024-01-01/part-0.csv`) read as
/// columns: Broker Load's `COLUMNS FROM PATH AS (city, dt)` and FILES()'s `columns_from_path`.
///
/// As in StarRocks, every `name=value` segment of the path counts (names match exactly, the value
/// is everything after the first `=`), and the segment nearest the root wins when a name repeats.
/// Hive's `__HIVE_DEFAULT_PARTITION__` (a NULL partition value) reads as NULL.
package struct PathColumns: Sendable, Hashable {
    package let names: [String]

    package init(_ names: [String]) { self.names = names }

    /// Hive's directory name for a NULL partition value.
    static let hiveNull = "__HIVE_DEFAULT_PARTITION__"

    /// The columns' values in `path`, in ``names`` order (nil: NULL).
    /// - Throws: ``FileSourceError`` `.invalidPath` naming the first column the path lacks.
    package func values(in path: String) throws(FileSourceError) -> [String?] {
        guard !names.isEmpty else { return [] }
        var found = [String: Substring]()
        for segment in path.split(separator: "/") {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            let name = String(segment[..<equals])
            if found[name] == nil { found[name] = segment[segment.index(after: equals)...] }
        }
        return try names.map { (name) throws(FileSourceError) -> String? in
            guard let value = found[name] else {
                throw FileSourceError(
                    .invalidPath,
                    "Fail to parse columnsFromPath, expected: \(name), filePath: \(path): the file must sit below a "
                        + "'\(name)=<value>' directory")
            }
            return value == Self.hiveNull ? nil : String(value)
        }
    }
}
