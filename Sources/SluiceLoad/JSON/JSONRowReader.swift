import Dispatch
package import SluiceFormat
import SluiceIO

/// The raw text of a batch of rows, back to back: row `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
package struct RawRows: Sendable {
    var bytes: [UInt8]
    var offsets: [Int]

    package var count: Int { offsets.count - 1 }
    subscript(i: Int) -> [UInt8] { Array(bytes[offsets[i]..<offsets[i + 1]]) }
}

/// Turns a stream of JSON documents (JSON lines, concatenated objects, or one array with
/// `strip_outer_array`) into rows of source fields.
///
/// Order of operations as in StarRocks: strip the outer array → `json_root` → `jsonpaths` (or,
/// without paths, match object keys to field names). Values are split out of the stream as they
/// complete, so only an unfinished value is carried between chunks.
package struct JSONRowReader: @unchecked Sendable {
    /// A batch of rows: one column per field (typed where the field feeds a column directly,
    /// else text), the values that failed to convert per field, and the rows' raw text.
    package typealias Emit = (_ fields: [ColumnVector], _ failures: [ParseFailures], _ raws: RawRows) throws -> Void
    typealias SendableEmit =
        @Sendable (_ fields: [ColumnVector], _ failures: [ParseFailures], _ raws: RawRows) throws -> Void
    typealias Reject = (_ reason: String, _ raw: [UInt8]) -> Void

    let stripOuterArray: Bool
    /// Each value is a Debezium change event, unwrapped into its row image and `__op`.
    let debezium: Bool
    let root: JSONPath?
    let paths: [JSONPath]?
    let fieldNames: [[UInt8]]
    /// Per field: the column type its text is parsed into right away, or nil to keep it as text
    /// (fields read by expressions).
    let fieldTypes: [ColumnType?]
    private var buffer: [UInt8] = []
    private var outerOpen = false
    /// Rows waiting to be emitted, already as source columns, plus their raw text.
    private var pending: SourceRowBuffer
    /// Where the fast object parser found each field's text in the object being parsed.
    private var spans: [Range<Int>?] = []
    /// The field the n-th key of the previous object named (objects usually repeat their key order).
    private var keyOrder: [Int] = []
    package var batchRows = 4096
    /// Longest value carried between chunks: an unclosed `{`, `[` or string fails the load
    /// here instead of buffering the rest of the body.
    let maxValueBytes: Int
    /// Rows rejected while splitting/parsing (reason, raw text); drained by the session.
    package var rejects: [(reason: String, raw: [UInt8])] = []

    /// - Parameter fieldTypes: per field, the type to parse its text into (nil = keep text).
    package init(options: LoadOptions, fieldNames: [String], fieldTypes: [ColumnType?]) throws {
        stripOuterArray = options.stripOuterArray
        debezium = options.debeziumEnvelope
        if debezium, options.stripOuterArray || (options.jsonRoot.map { !$0.isEmpty } ?? false) {
            throw LoadError(.invalidArgument, "envelope debezium can not be used with json_root or strip_outer_array")
        }
        maxValueBytes = options.maxJSONValueBytes
        if let text = options.jsonRoot, !text.isEmpty {
            guard let path = JSONPath(text) else { throw LoadError(.invalidArgument, "Invalid json_root: \(text)") }
            root = path
        } else {
            root = nil
        }
        if let texts = options.jsonPaths {
            var parsed = [JSONPath]()
            for text in texts {
                guard let path = JSONPath(text) else { throw LoadError(.invalidArgument, "Invalid jsonpaths: \(text)") }
                parsed.append(path)
            }
            // The envelope's operation is the row's `__op` (a field the mapping added after the paths).
            if debezium, parsed.count + 1 == fieldNames.count, fieldNames.last == "__op", let op = JSONPath("$.__op") {
                parsed.append(op)
            }
            guard parsed.count == fieldNames.count else {
                throw LoadError(
                    .analysis, "jsonpaths has \(parsed.count) paths but columns names \(fieldNames.count) fields")
            }
            paths = parsed
        } else {
            paths = nil
        }
        self.fieldNames = fieldNames.map { Array($0.utf8) }
        self.fieldTypes = fieldTypes
        self.pending = SourceRowBuffer(fieldTypes: fieldTypes)
        self.spans = Array(repeating: nil, count: fieldNames.count)
    }

    package mutating func consume(_ chunk: UnsafeRawBufferPointer, emit: Emit) throws {
        var data = takeBuffer()
        data.append(contentsOf: chunk)
        let consumed = try data.withUnsafeBytes { try split($0, final: false, emit: emit) }
        data.removeFirst(consumed)
        buffer = data
        try checkCarried()
    }

    /// - Throws: `.invalidArgument` when the unfinished value is longer than ``maxValueBytes``.
    private func checkCarried() throws(LoadError) {
        guard buffer.count > maxValueBytes else { return }
        throw LoadError(
            .invalidArgument,
            "A JSON value runs past \(maxValueBytes) bytes without ending: the body is not well-formed JSON "
                + "(an unclosed '{', '[' or string?). Fix the data, or send each row as its own line")
    }

    /// The carried bytes, moved out so they can be read while `self` is mutated.
    private mutating func takeBuffer() -> [UInt8] {
        var data = [UInt8]()
        swap(&data, &buffer)
        return data
    }

    /// Whether JSON lines may be split at a `}\n{` boundary and parsed in two halves.
    var canParseInParallel: Bool { paths == nil && root == nil && !stripOuterArray && !debezium }

    /// Like ``consume(_:emit:)`` but parses the two halves of a large buffer on two threads. The
    /// first half emits as it goes; the second half's batches are emitted after it, so rows keep
    /// their input order. A half is cut only at `}` newline `{`, which in JSON can only separate
    /// two top-level objects (strings cannot hold raw newlines; nested objects in arrays are
    /// separated by commas).
    mutating func consumeInParallel(_ chunk: UnsafeRawBufferPointer, emit: @escaping SendableEmit) throws {
        var data = takeBuffer()
        data.append(contentsOf: chunk)
        guard canParseInParallel, data.count >= 256 << 10, let cut = Self.topLevelBoundary(data, near: data.count / 2)
        else {
            let consumed = try data.withUnsafeBytes { try split($0, final: false, emit: emit) }
            data.removeFirst(consumed)
            buffer = data
            try checkCarried()
            return
        }
        var first = self
        first.resetPending()
        var second = self
        second.resetPending()
        let halves = Halves(first: first, second: second)
        // `data` outlives both halves: `parallel` returns only when they are done.
        data.withUnsafeBytes { all in
            let parts = [
                SendableBytes(bytes: UnsafeRawBufferPointer(rebasing: all[..<cut])),
                SendableBytes(bytes: UnsafeRawBufferPointer(rebasing: all[cut...])),
            ]
            BackgroundWork.parallel(2) { part in
                halves.run(part, parts[part].bytes, emit: emit)
            }
        }
        if let error = halves.error { throw error }
        for batch in halves.secondBatches { try emit(batch.fields, batch.failures, batch.raws) }
        rejects.append(contentsOf: halves.first.rejects)
        rejects.append(contentsOf: halves.second.rejects)
        keyOrder = halves.second.keyOrder
        buffer = Array(data[(cut + halves.secondConsumed)...])
        try checkCarried()
    }

    /// Offset just after a `}` + newline(s) + `{` boundary at or after `near`, cut before the `{`.
    static func topLevelBoundary(_ bytes: [UInt8], near start: Int) -> Int? {
        var i = start
        let n = bytes.count
        while i + 2 < n {
            if bytes[i] == 10 {
                var before = i - 1
                while before > 0, bytes[before] == 13 || bytes[before] == 32 { before -= 1 }
                var after = i + 1
                while after < n, bytes[after] == 10 || bytes[after] == 13 || bytes[after] == 32 { after += 1 }
                if before >= 0, bytes[before] == UInt8(ascii: "}"), after < n, bytes[after] == UInt8(ascii: "{") {
                    return after
                }
            }
            i += 1
        }
        return nil
    }

    mutating func resetPending() {
        pending = SourceRowBuffer(fieldTypes: fieldTypes)
        rejects = []
    }

    /// Two half-readers parsed concurrently.
    final class Halves: @unchecked Sendable {
        var first: JSONRowReader
        var second: JSONRowReader
        var secondConsumed = 0
        /// What the second half parsed, held back until the first half's rows are out.
        var secondBatches: [(fields: [ColumnVector], failures: [ParseFailures], raws: RawRows)] = []
        var error: (any Error)?
        private let lock = SmallLock()

        init(first: JSONRowReader, second: JSONRowReader) {
            self.first = first
            self.second = second
        }

        func run(_ part: Int, _ bytes: UnsafeRawBufferPointer, emit: @escaping SendableEmit) {
            do {
                if part == 0 {
                    _ = try first.split(bytes, final: true, emit: emit)
                    try first.flush(emit)
                } else {
                    let hold: Emit = { self.secondBatches.append(($0, $1, $2)) }
                    secondConsumed = try second.split(bytes, final: false, emit: hold)
                    try second.flush(hold)
                }
            } catch {
                lock.withLock { if self.error == nil { self.error = error } }
            }
        }
    }

    package mutating func finish(emit: Emit) throws {
        let data = takeBuffer()
        _ = try data.withUnsafeBytes { try split($0, final: true, emit: emit) }
        try flush(emit)
    }

    /// Extracts the complete top-level values of `b`; returns the bytes consumed.
    fileprivate mutating func split(_ b: UnsafeRawBufferPointer, final: Bool, emit: Emit) throws -> Int {
        let stripAtTop = stripOuterArray && root == nil
        let fast = paths == nil && root == nil && !debezium
        var position = 0
        let values: [(Range<Int>)] = {
            var found = [Range<Int>]()
            var i = 0
            let n = b.count
            while i < n {
                let c = b[i]
                if c == 32 || c == 10 || c == 13 || c == 9 || (c == UInt8(ascii: ",") && outerOpen) {
                    i += 1
                    position = i
                    continue
                }
                if stripAtTop, !outerOpen, c == UInt8(ascii: "[") {
                    outerOpen = true
                    i += 1
                    position = i
                    continue
                }
                if stripAtTop, outerOpen, c == UInt8(ascii: "]") {
                    outerOpen = false
                    i += 1
                    position = i
                    continue
                }
                // Flat objects are parsed in place, in one pass (the object's end is where the
                // parse ends); anything else is delimited first and goes through the DOM below.
                if fast, c == UInt8(ascii: "{"), let end = appendObject(b, from: i) {
                    pending.endRow(raw: UnsafeRawBufferPointer(rebasing: b[i..<end]))
                    i = end
                    position = end
                    continue
                }
                guard let end = Self.valueEnd(b, from: i) else {
                    if final {
                        found.append(i..<n)
                        position = n
                    }
                    return found
                }
                // valueEnd always returns past `i`; the max keeps a future change from looping.
                let next = max(end, i + 1)
                found.append(i..<next)
                i = next
                position = next
            }
            return found
        }()
        if pending.count >= batchRows { try flush(emit) }
        for range in values {
            let raw = Array(b[range])
            let parsed = raw.withUnsafeBytes { bytes in
                Result { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) }
            }
            switch parsed {
            case .failure(let failure):
                rejects.append(("Malformed JSON: \(failure)", raw))
            case .success(let document):
                try addDocument(document, raw: raw, emit: emit)
            }
        }
        return position
    }

    /// End of the value starting at `start` (exclusive), or nil if it is not complete yet.
    static func valueEnd(_ b: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var i = start
        let n = b.count
        let first = b[start]
        if first == UInt8(ascii: "}") || first == UInt8(ascii: "]") || first == UInt8(ascii: ",") {
            // A stray closing bracket or comma is a (malformed) value of its own: one byte, so
            // the caller always moves forward.
            return start + 1
        }
        if first != UInt8(ascii: "{"), first != UInt8(ascii: "["), first != 34 {
            // A bare scalar: runs to the next separator.
            while i < n {
                let c = b[i]
                if c == 32 || c == 10 || c == 13 || c == 9 || c == UInt8(ascii: ",") || c == UInt8(ascii: "]") {
                    return i
                }
                i += 1
            }
            return nil
        }
        while i < n {
            let c = b[i]
            if inString {
                if c == 92 {
                    i += 2
                    continue
                }
                if c == 34 {
                    inString = false
                    if depth == 0 { return i + 1 }
                }
            } else if c == 34 {
                inString = true
            } else if c == 10, depth > 0, i + 1 < n, b[i + 1] == UInt8(ascii: "{") {
                // An unindented `{` after a newline starts the next document: the value before
                // it is unterminated (malformed). Ending it here keeps one bad line from
                // swallowing the rest of the body.
                return i
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth <= 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    private mutating func addDocument(_ document: JSONValue, raw: [UInt8], emit: Emit) throws {
        var rowsValue = document
        if debezium {
            switch DebeziumEnvelope.unwrap(document) {
            case .tombstone: return
            case .failure(let reason):
                rejects.append((reason, raw))
                return
            case .row(let row): rowsValue = row
            }
        }
        if let root {
            guard let selected = root.evaluate(document) else {
                rejects.append(("json_root \(root) not found", raw))
                return
            }
            rowsValue = selected
        }
        if case .array(let items) = rowsValue {
            guard stripOuterArray else {
                rejects.append(("JSON data is an array, strip_outer_array must be set true", raw))
                return
            }
            for item in items { try addRow(item, raw: item.serialized, emit: emit) }
        } else {
            try addRow(rowsValue, raw: raw, emit: emit)
        }
    }

    private mutating func addRow(_ row: JSONValue, raw: [UInt8], emit: Emit) throws {
        let values: [JSONValue?]
        if let paths {
            values = paths.map { $0.evaluate(row) }
        } else {
            guard case .object(let members) = row else {
                rejects.append(("JSON data is not an object", raw))
                return
            }
            values = fieldNames.map { name in
                if let exact = members.first(where: { $0.key == name }) { return exact.value }
                let lower = Self.lowercased(name)
                return members.first { Self.lowercased($0.key) == lower }?.value
            }
        }
        for (j, value) in values.enumerated() {
            if let text = value?.fieldText {
                text.withUnsafeBytes { appendField(j, $0) }
            } else {
                pending.appendNull(j)
            }
        }
        pending.endRow(raw: raw)
        if pending.count >= batchRows { try flush(emit) }
    }

    static func lowercased(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }

    @inline(__always)
    private mutating func appendField(_ j: Int, _ text: UnsafeRawBufferPointer) { pending.appendField(j, text) }

    fileprivate mutating func flush(_ emit: Emit) throws {
        guard pending.count > 0 else { return }
        // The batch's raw text moves out whole (error logs slice it only for rejected rows).
        let batch = pending.take(capacity: batchRows)
        try emit(batch.columns, batch.failures, batch.raws)
    }

    // MARK: Fast path

    /// Parses one flat JSON object straight into the pending columns (simple mode: keys matched to
    /// field names). Returns false — appending nothing — for anything it does not handle
    /// (not an object, escapes in strings, malformed text); the DOM path then decides.
    /// Returns the end of the object (after its `}`), or nil — appending nothing — when it is not
    /// a flat object this parser handles or is not complete in `b` yet.
    mutating func appendObject(_ b: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let n = b.count
        var i = start
        @inline(__always) func skipSpace() {
            while i < n, b[i] == 32 || b[i] == 10 || b[i] == 13 || b[i] == 9 { i += 1 }
        }
        skipSpace()
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        for j in spans.indices { spans[j] = nil }
        var ordinal = 0
        skipSpace()
        if i < n, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                guard i < n, b[i] == 34 else { return nil }
                let keyStart = i + 1
                i = keyStart
                while i < n, b[i] != 34 {
                    if b[i] == 92 { return nil }
                    i += 1
                }
                guard i < n else { return nil }
                let key = UnsafeRawBufferPointer(rebasing: b[keyStart..<i])
                i += 1
                skipSpace()
                guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                guard i < n else { return nil }
                let field = fieldIndex(key, ordinal: ordinal)
                ordinal += 1
                let c = b[i]
                if c == 34 {
                    let start = i + 1
                    i = start
                    while i < n, b[i] != 34 {
                        if b[i] == 92 || b[i] < 32 { return nil }
                        i += 1
                    }
                    guard i < n else { return nil }
                    if let field { spans[field] = start..<i }
                    i += 1
                } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    guard let end = Self.valueEnd(b, from: i) else { return nil }
                    if let field { spans[field] = i..<end }
                    i = end
                } else {
                    let start = i
                    while i < n, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != 32, b[i] != 10,
                        b[i] != 13, b[i] != 9
                    {
                        i += 1
                    }
                    let scalar = UnsafeRawBufferPointer(rebasing: b[start..<i])
                    guard Self.isScalar(scalar) else { return nil }
                    if let field, !(scalar.count == 4 && scalar[0] == UInt8(ascii: "n")) { spans[field] = start..<i }
                }
                skipSpace()
                guard i < n else { return nil }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard b[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                break
            }
        }
        // Complete and well-formed: only now does the row reach the columns.
        for j in spans.indices {
            if let span = spans[j] {
                appendField(j, UnsafeRawBufferPointer(rebasing: b[span]))
            } else {
                pending.appendNull(j)
            }
        }
        return i
    }

    /// The field a key names: exact match first, then ASCII case-insensitive. The field the key
    /// at the same position named in the previous object is tried first.
    private mutating func fieldIndex(_ key: UnsafeRawBufferPointer, ordinal: Int) -> Int? {
        if ordinal < keyOrder.count, keyOrder[ordinal] >= 0,
            fieldNames[keyOrder[ordinal]].withUnsafeBytes({ bytesEqual($0, key) })
        {
            return keyOrder[ordinal]
        }
        let found = searchField(key)
        if ordinal >= keyOrder.count {
            keyOrder.append(contentsOf: repeatElement(-1, count: ordinal + 1 - keyOrder.count))
        }
        keyOrder[ordinal] = found ?? -1
        return found
    }

    private func searchField(_ key: UnsafeRawBufferPointer) -> Int? {
        for (j, name) in fieldNames.enumerated() where name.count == key.count {
            if name.withUnsafeBytes({ bytesEqual($0, key) }) { return j }
        }
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
        for (j, name) in fieldNames.enumerated() where name.count == key.count {
            if (0..<key.count).allSatisfy({ lower(name[$0]) == lower(key[$0]) }) { return j }
        }
        return nil
    }

    /// `true`, `false`, `null` or a JSON number.
    static func isScalar(_ s: UnsafeRawBufferPointer) -> Bool {
        guard let first = s.first else { return false }
        if first == UInt8(ascii: "t") { return s.elementsEqual("true".utf8) }
        if first == UInt8(ascii: "f") { return s.elementsEqual("false".utf8) }
        if first == UInt8(ascii: "n") { return s.elementsEqual("null".utf8) }
        var digits = 0
        for c in s {
            if c &- 48 < 10 { digits += 1; continue }
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c | 0x20 == UInt8(ascii: "e")
            {
                continue
            }
            return false
        }
        return digits > 0
    }
}
