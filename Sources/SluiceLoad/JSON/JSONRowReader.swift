import SluiceFormat

/// Turns a stream of JSON documents (JSON lines, concatenated objects, or one array with
/// `strip_outer_array`) into rows of source fields.
///
/// Order of operations as in StarRocks: strip the outer array → `json_root` → `jsonpaths` (or,
/// without paths, match object keys to field names). Values are split out of the stream as they
/// complete, so only an unfinished value is carried between chunks.
struct JSONRowReader {
    typealias Emit = (_ fields: [ColumnVector], _ raws: [[UInt8]]) throws -> Void
    typealias Reject = (_ reason: String, _ raw: [UInt8]) -> Void

    let stripOuterArray: Bool
    let root: JSONPath?
    let paths: [JSONPath]?
    let fieldNames: [[UInt8]]
    private var buffer: [UInt8] = []
    private var outerOpen = false
    private var pendingRows: [[JSONValue?]] = []
    private var pendingRaws: [[UInt8]] = []
    var batchRows = 4096
    /// Rows rejected while splitting/parsing (reason, raw text); drained by the session.
    var rejects: [(reason: String, raw: [UInt8])] = []

    init(options: LoadOptions, fieldNames: [String]) throws {
        stripOuterArray = options.stripOuterArray
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
            guard parsed.count == fieldNames.count else {
                throw LoadError(.analysis, "jsonpaths has \(parsed.count) paths but columns names \(fieldNames.count) fields")
            }
            paths = parsed
        } else {
            paths = nil
        }
        self.fieldNames = fieldNames.map { Array($0.utf8) }
    }

    mutating func consume(_ chunk: UnsafeRawBufferPointer, emit: Emit) throws {
        buffer.append(contentsOf: chunk)
        let consumed = try split(final: false, emit: emit)
        buffer.removeFirst(consumed)
    }

    mutating func finish(emit: Emit) throws {
        _ = try split(final: true, emit: emit)
        buffer.removeAll()
        try flush(emit)
    }

    /// Extracts complete top-level values; returns the bytes consumed.
    private mutating func split(final: Bool, emit: Emit) throws -> Int {
        let stripAtTop = stripOuterArray && root == nil
        var position = 0
        let values: [(Range<Int>)] = buffer.withUnsafeBytes { b in
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
                guard let end = Self.valueEnd(b, from: i) else {
                    if final {
                        found.append(i..<n)
                        position = n
                    }
                    return found
                }
                found.append(i..<end)
                i = end
                position = end
            }
            return found
        }
        for range in values {
            let raw = Array(buffer[range])
            let parsed = raw.withUnsafeBytes { bytes in Result { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) } }
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
        if first != UInt8(ascii: "{"), first != UInt8(ascii: "["), first != 34 {
            // A bare scalar: runs to the next separator.
            while i < n {
                let c = b[i]
                if c == 32 || c == 10 || c == 13 || c == 9 || c == UInt8(ascii: ",") || c == UInt8(ascii: "]") { return i }
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
        if let paths {
            pendingRows.append(paths.map { $0.evaluate(row) })
        } else {
            guard case .object(let members) = row else {
                rejects.append(("JSON data is not an object", raw))
                return
            }
            pendingRows.append(fieldNames.map { name in
                if let exact = members.first(where: { $0.key == name }) { return exact.value }
                let lower = name.map { $0 | ($0 >= 65 && $0 <= 90 ? 0x20 : 0) }
                return members.first { $0.key.map { $0 | ($0 >= 65 && $0 <= 90 ? 0x20 : 0) } == lower }?.value
            })
        }
        pendingRaws.append(raw)
        if pendingRows.count >= batchRows { try flush(emit) }
    }

    private mutating func flush(_ emit: Emit) throws {
        guard !pendingRows.isEmpty else { return }
        var columns = fieldNames.map { _ in ColumnVector(type: .string, capacity: pendingRows.count) }
        for row in pendingRows {
            for (j, value) in row.enumerated() {
                if let text = value?.fieldText { columns[j].appendBytes(text) } else { columns[j].appendNull() }
            }
        }
        let raws = pendingRaws
        pendingRows.removeAll(keepingCapacity: true)
        pendingRaws.removeAll(keepingCapacity: true)
        try emit(columns, raws)
    }
}
