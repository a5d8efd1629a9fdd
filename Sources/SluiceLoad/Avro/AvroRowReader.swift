package import SluiceFormat

/// Where an Avro load finds the writer schemas its messages name.
package struct AvroSource: Sendable {
    /// The registry URL list as configured (`confluent.schema.registry.url`): the cache key.
    package var registry: String
    package var schemas: AvroSchemaCache

    package init(registry: String, schemas: AvroSchemaCache) {
        self.registry = registry
        self.schemas = schemas
    }
}

/// Turns a body of Avro messages into rows of source fields (spec A.3).
///
/// The body is a run of messages, each a 4-byte big-endian length and one Confluent-framed
/// payload (magic byte, schema id, datum): Routine Load frames Kafka messages this way because
/// Avro payloads are binary and may hold any delimiter. Each payload is decoded under its own
/// writer schema (fetched once per id through ``AvroSource``). Simple mode matches the top-level
/// record's fields to the source fields by name, with a field map built per writer schema (so
/// messages of evolving schemas mix in one batch); matched mode walks `jsonpaths`.
///
/// A payload that cannot be read is one rejected row with libserdes' words; a registry that
/// cannot name a schema fails the whole load (`.schemaRegistry`), since the message is not at
/// fault and must be read again later.
package struct AvroRowReader: @unchecked Sendable {
    package typealias Emit = JSONRowReader.Emit

    let source: AvroSource
    let paths: [JSONPath]?
    let fieldNames: [[UInt8]]
    /// Per field: the column type its text is parsed into right away (nil: kept as text).
    let fieldTypes: [ColumnType?]
    let forms: [AvroTextForm]
    /// Per writer schema id: its decoder and, in simple mode, which field each record field fills.
    private var plans: [Int32: Plan] = [:]
    /// An unfinished message carried to the next chunk.
    private var carry: [UInt8] = []
    private var pending: SourceRowBuffer
    /// One row's field texts before it is known to decode completely (a failing message adds nothing).
    private var rowText: [UInt8] = []
    private var rowSpans: [Range<Int>?]
    package var batchRows = 4096
    /// Rows rejected while decoding (reason, raw payload); drained by the session.
    package var rejects: [(reason: String, raw: [UInt8])] = []

    struct Plan {
        var decoder: AvroDecoder
        /// Simple mode over a record: the source field each writer field fills (nil: skipped).
        var fieldOf: [Int?]?
    }

    /// - Throws: ``LoadError`` `.invalidArgument` for a path that does not parse, `.analysis` when
    ///   the paths and the fields differ in number.
    package init(source: AvroSource, options: LoadOptions, fieldNames: [String], fieldTypes: [ColumnType?]) throws {
        self.source = source
        if let texts = options.jsonPaths {
            var parsed = [JSONPath]()
            for text in texts {
                guard let path = JSONPath(AvroPath.normalized(text)) else {
                    throw LoadError(.invalidArgument, "Invalid jsonpaths: \(text)")
                }
                parsed.append(path)
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
        self.forms = fieldTypes.map(AvroTextForm.init)
        pending = SourceRowBuffer(fieldTypes: fieldTypes)
        rowSpans = Array(repeating: nil, count: fieldNames.count)
    }

    /// Reads the complete messages of `chunk` (plus what an earlier chunk left unfinished).
    /// - Throws: ``LoadError`` `.schemaRegistry` when a writer schema cannot be fetched.
    package mutating func consume(_ chunk: UnsafeRawBufferPointer, emit: Emit) throws {
        var data = carry
        carry = []
        data.append(contentsOf: chunk)
        var position = 0
        while data.count - position >= 4 {
            let length =
                Int(data[position]) << 24 | Int(data[position + 1]) << 16 | Int(data[position + 2]) << 8
                | Int(data[position + 3])
            guard data.count - position - 4 >= length else { break }
            let start = position + 4
            try read(data[start..<start + length])
            position = start + length
            if pending.count >= batchRows { try flush(emit) }
        }
        carry = Array(data[position...])
    }

    /// Emits the last rows. - Throws: `.invalidArgument` when the body ends inside a message.
    package mutating func finish(emit: Emit) throws {
        guard carry.isEmpty else {
            throw LoadError(
                .invalidArgument, "The Avro batch body ends inside a message (\(carry.count) bytes of a frame left)")
        }
        try flush(emit)
    }

    /// One payload → one row (or one rejected row).
    private mutating func read(_ payload: ArraySlice<UInt8>) throws {
        do {
            let (id, body) = try ConfluentFraming.split(payload)
            let plan = try self.plan(id)
            rowText.removeAll(keepingCapacity: true)
            for j in rowSpans.indices { rowSpans[j] = nil }
            if let paths {
                try readMatched(body, plan.decoder, paths)
            } else if let fieldOf = plan.fieldOf {
                try readSimple(body, plan.decoder, fieldOf)
            } else {
                throw AvroError(
                    "The avro root type is \(plan.decoder.schema.typeName(plan.decoder.schema.root)), not a record: "
                        + "use jsonpaths to select its values")
            }
        } catch let error as AvroError where error.code == .registry {
            throw LoadError(.schemaRegistry, error.message)
        } catch let error as AvroError {
            rejects.append(("serdes deserialize avro failed: \(error.message)", Array(payload)))
            return
        }
        for j in rowSpans.indices {
            if let span = rowSpans[j] {
                rowText.withUnsafeBytes { pending.appendField(j, UnsafeRawBufferPointer(rebasing: $0[span])) }
            } else {
                pending.appendNull(j)
            }
        }
        pending.endRow(raw: payload)
    }

    private mutating func plan(_ id: Int32) throws(AvroError) -> Plan {
        if let known = plans[id] { return known }
        let decoder = try source.schemas.decoder(registry: source.registry, id: id)
        var fieldOf: [Int?]?
        if paths == nil, case .record(_, let fields) = decoder.schema[decoder.schema.root] {
            fieldOf = Self.match(fields.map { Array($0.name.utf8) }, to: fieldNames)
        }
        let plan = Plan(decoder: decoder, fieldOf: fieldOf)
        plans[id] = plan
        return plan
    }

    /// Record fields → source fields by name: exact matches first, then ASCII case-insensitive
    /// ones for fields still unclaimed (as JSON keys are matched).
    static func match(_ names: [[UInt8]], to fields: [[UInt8]]) -> [Int?] {
        var result = [Int?](repeating: nil, count: names.count)
        var claimed = Set<Int>()
        for (k, name) in names.enumerated() {
            if let j = fields.firstIndex(of: name), !claimed.contains(j) {
                result[k] = j
                claimed.insert(j)
            }
        }
        for (k, name) in names.enumerated() where result[k] == nil {
            let lower = JSONRowReader.lowercased(name)
            if let j = fields.indices.first(where: {
                !claimed.contains($0) && JSONRowReader.lowercased(fields[$0]) == lower
            }) {
                result[k] = j
                claimed.insert(j)
            }
        }
        return result
    }

    /// Simple mode: the record's fields in writer order, each read straight into its field's text
    /// (or skipped).
    private mutating func readSimple(
        _ body: ArraySlice<UInt8>, _ decoder: AvroDecoder, _ fieldOf: [Int?]
    ) throws(AvroError) {
        guard case .record(_, let fields) = decoder.schema[decoder.schema.root] else { return }
        var cursor = AvroDecoder.Cursor(bytes: body)
        for (k, field) in fields.enumerated() {
            if let j = fieldOf[k] {
                try readField(field.type, decoder, &cursor, into: j)
            } else {
                try decoder.skip(field.type, &cursor, depth: 1)
            }
        }
        guard cursor.position == body.endIndex else {
            throw AvroError("Failed to read avro value: \(body.endIndex - cursor.position) bytes left after the datum")
        }
    }

    /// One value into field `j`'s text: integers and strings without building a value, the rest
    /// through ``AvroValue``.
    private mutating func readField(
        _ node: Int, _ decoder: AvroDecoder, _ cursor: inout AvroDecoder.Cursor, into j: Int
    ) throws(AvroError) {
        let form = forms[j]
        let start = rowText.count
        switch decoder.schema[node] {
        case .null:
            return
        case .long:
            AvroText.appendDecimal(try cursor.long(), to: &rowText)
        case .int:
            let value = try cursor.long()
            guard Int32(exactly: value) != nil else {
                throw AvroError("Failed to read avro value: int \(value) out of range")
            }
            AvroText.appendDecimal(value, to: &rowText)
        case .string where form != .json, .bytes where form != .json:
            let range = try cursor.lengthPrefixedRange()
            rowText.append(contentsOf: cursor.bytes[range])
        case .union(let branches):
            let i = try cursor.long()
            guard i >= 0, i < branches.count else {
                throw AvroError("Failed to read avro value: union has no branch \(i)")
            }
            try readField(branches[Int(i)], decoder, &cursor, into: j)
            return
        default:
            let value = try decoder.read(node, &cursor, depth: 1)
            guard value.appendText(form, to: &rowText) else { return }
        }
        rowSpans[j] = start..<rowText.count
    }

    /// Matched mode: the whole datum, then each path.
    private mutating func readMatched(
        _ body: ArraySlice<UInt8>, _ decoder: AvroDecoder, _ paths: [JSONPath]
    ) throws(AvroError) {
        let datum = try decoder.decode(body)
        for (j, path) in paths.enumerated() {
            let start = rowText.count
            if try AvroPath.evaluate(path, in: datum).appendText(forms[j], to: &rowText) {
                rowSpans[j] = start..<rowText.count
            }
        }
    }

    private mutating func flush(_ emit: Emit) throws {
        guard pending.count > 0 else { return }
        let batch = pending.take(capacity: batchRows)
        try emit(batch.columns, batch.failures, batch.raws)
    }
}
