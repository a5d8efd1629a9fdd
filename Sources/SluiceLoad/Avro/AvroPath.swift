import Foundation

/// `jsonpaths` over an Avro datum ("matched mode", spec A.3 step 4): keys walk record fields by
/// name (and map keys), unions on the way are stepped through, `[i]` indexes arrays. A missing
/// field or a null branch gives NULL; passing through a scalar before the last step, or starting
/// at a top-level array without an index, is an error with StarRocks' text.
package enum AvroPath {
    /// The path text after StarRocks' legacy rewrite: `.*.` becomes `.` and a trailing `.*` goes
    /// (old jobs stepped into unions with `$.k1.*`).
    package static func normalized(_ text: String) -> String {
        var out = text
        while out.contains(".*.") { out = out.replacingOccurrences(of: ".*.", with: ".") }
        if out.hasSuffix(".*") { out.removeLast(2) }
        return out
    }

    /// The value `path` selects, `.null` when a step is missing.
    /// - Throws: ``AvroError`` for a path through a non-record or an unindexed top-level array.
    package static func evaluate(_ path: JSONPath, in datum: AvroValue) throws(AvroError) -> AvroValue {
        var current = datum.unwrapped
        if case .array = current, path.steps.first.map({ if case .index = $0 { false } else { true } }) ?? false {
            throw AvroError("The avro root type is an array, and you should select a specific array element.")
        }
        for step in path.steps {
            switch (step, current) {
            case (_, .null): return .null
            case (.key(let key), .record(let fields)):
                guard let field = fields.first(where: { $0.name.utf8.elementsEqual(key) }) else { return .null }
                current = field.value.unwrapped
            case (.key(let key), .map(let entries)):
                guard let entry = entries.first(where: { $0.key == key }) else { return .null }
                current = entry.value.unwrapped
            case (.index(let index), .array(let items)):
                guard index < items.count else { return .null }
                current = items[index].unwrapped
            default:
                throw AvroError("A non-record type was found during avro parsing. Please check the path you specified")
            }
        }
        return current
    }
}
