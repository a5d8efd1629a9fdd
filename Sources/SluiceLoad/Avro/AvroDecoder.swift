/// A decoded Avro datum. Unions keep their branch (Avro's JSON encoding names it; paths step
/// through it); everything else is what the binary encoding holds, logical types included as
/// their underlying values (the legacy reader's semantics, spec A.4.2).
package indirect enum AvroValue: Sendable, Equatable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string([UInt8])
    case record([(name: String, value: AvroValue)])
    case enumeration(symbol: String)
    case array([AvroValue])
    case map([(key: [UInt8], value: AvroValue)])
    case union(branch: String, value: AvroValue)
    case fixed([UInt8])

    package static func == (a: AvroValue, b: AvroValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.boolean(let x), .boolean(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.long(let x), .long(let y)): x == y
        case (.float(let x), .float(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.bytes(let x), .bytes(let y)), (.string(let x), .string(let y)), (.fixed(let x), .fixed(let y)): x == y
        case (.record(let x), .record(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        case (.enumeration(let x), .enumeration(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.map(let x), .map(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.union(let bx, let x), .union(let by, let y)): bx == by && x == y
        default: false
        }
    }

    /// The value with unions stepped through (nested unions to the deepest branch).
    package var unwrapped: AvroValue {
        if case .union(_, let inner) = self { return inner.unwrapped }
        return self
    }
}

/// Avro's binary encoding (zig-zag varints, length-prefixed bytes, blocked arrays and maps,
/// union and enum indexes) read straight from the message bytes under a writer schema.
package struct AvroDecoder: Sendable {
    package let schema: AvroSchema

    package init(schema: AvroSchema) { self.schema = schema }

    /// Decodes one datum that fills `bytes` exactly.
    /// - Throws: ``AvroError`` `Failed to read avro value: …`.
    package func decode(_ bytes: ArraySlice<UInt8>) throws(AvroError) -> AvroValue {
        // The libserdes quirk (Java serializer compatible): a bare "bytes" schema takes the whole
        // payload, with no length prefix.
        if case .bytes = schema[schema.root] { return .bytes(Array(bytes)) }
        var cursor = Cursor(bytes: bytes)
        let value = try read(schema.root, &cursor, depth: 0)
        guard cursor.position == bytes.endIndex else {
            throw AvroError(
                "Failed to read avro value: \(bytes.endIndex - cursor.position) bytes left after the datum")
        }
        return value
    }

    func read(_ index: Int, _ c: inout Cursor, depth: Int) throws(AvroError) -> AvroValue {
        guard depth < 256 else { throw AvroError("Failed to read avro value: nesting deeper than 256") }
        switch schema[index] {
        case .null: return .null
        case .boolean:
            let byte = try c.byte()
            guard byte <= 1 else { throw AvroError("Failed to read avro value: invalid boolean \(byte)") }
            return .boolean(byte == 1)
        case .int:
            let value = try c.long()
            guard let narrow = Int32(exactly: value) else {
                throw AvroError("Failed to read avro value: int \(value) out of range")
            }
            return .int(narrow)
        case .long: return .long(try c.long())
        case .float: return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try c.littleEndian(4))))
        case .double: return .double(Double(bitPattern: try c.littleEndian(8)))
        case .bytes: return .bytes(try c.lengthPrefixed())
        case .string: return .string(try c.lengthPrefixed())
        case .fixed(_, let size, _): return .fixed(try c.take(size))
        case .enumeration(let name, let symbols):
            let i = try c.long()
            guard i >= 0, i < symbols.count else {
                throw AvroError("Failed to read avro value: enum \(name) has no symbol \(i)")
            }
            return .enumeration(symbol: symbols[Int(i)])
        case .union(let branches):
            let i = try c.long()
            guard i >= 0, i < branches.count else {
                throw AvroError("Failed to read avro value: union has no branch \(i)")
            }
            let branch = branches[Int(i)]
            let value = try read(branch, &c, depth: depth + 1)
            if case .null = value { return .null }
            return .union(branch: schema.typeName(branch), value: value)
        case .record(_, let fields):
            var values = [(name: String, value: AvroValue)]()
            values.reserveCapacity(fields.count)
            for field in fields { values.append((field.name, try read(field.type, &c, depth: depth + 1))) }
            return .record(values)
        case .array(let items):
            var values = [AvroValue]()
            while let count = try c.blockCount() {
                for _ in 0..<count { values.append(try read(items, &c, depth: depth + 1)) }
            }
            return .array(values)
        case .map(let type):
            var entries = [(key: [UInt8], value: AvroValue)]()
            while let count = try c.blockCount() {
                for _ in 0..<count {
                    let key = try c.lengthPrefixed()
                    entries.append((key, try read(type, &c, depth: depth + 1)))
                }
            }
            return .map(entries)
        }
    }

    /// Moves past a value of `index`'s type without building it (fields no column reads).
    func skip(_ index: Int, _ c: inout Cursor, depth: Int) throws(AvroError) {
        guard depth < 256 else { throw AvroError("Failed to read avro value: nesting deeper than 256") }
        switch schema[index] {
        case .null: return
        case .boolean: _ = try c.byte()
        case .int, .long, .enumeration: _ = try c.long()
        case .float: try c.advance(4)
        case .double: try c.advance(8)
        case .bytes, .string: _ = try c.lengthPrefixedRange()
        case .fixed(_, let size, _): try c.advance(size)
        case .union(let branches):
            let i = try c.long()
            guard i >= 0, i < branches.count else {
                throw AvroError("Failed to read avro value: union has no branch \(i)")
            }
            try skip(branches[Int(i)], &c, depth: depth + 1)
        case .record(_, let fields):
            for field in fields { try skip(field.type, &c, depth: depth + 1) }
        case .array(let items):
            while let count = try c.blockCount() {
                for _ in 0..<count { try skip(items, &c, depth: depth + 1) }
            }
        case .map(let type):
            while let count = try c.blockCount() {
                for _ in 0..<count {
                    _ = try c.lengthPrefixedRange()
                    try skip(type, &c, depth: depth + 1)
                }
            }
        }
    }

    /// A read position in the datum's bytes.
    struct Cursor {
        let bytes: ArraySlice<UInt8>
        var position: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        mutating func byte() throws(AvroError) -> UInt8 {
            guard position < bytes.endIndex else { throw AvroError("Failed to read avro value: unexpected end") }
            defer { position += 1 }
            return bytes[position]
        }

        /// A zig-zag varint of at most 10 bytes.
        mutating func long() throws(AvroError) -> Int64 {
            var raw: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64, shift < 63 || b & 0x7f <= 1 else {
                    throw AvroError("Failed to read avro value: varint longer than 64 bits")
                }
                raw |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }

        mutating func take(_ count: Int) throws(AvroError) -> [UInt8] {
            guard count >= 0, count <= bytes.endIndex - position else {
                throw AvroError("Failed to read avro value: \(count) bytes wanted, \(bytes.endIndex - position) left")
            }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        mutating func lengthPrefixed() throws(AvroError) -> [UInt8] {
            Array(bytes[try lengthPrefixedRange()])
        }

        /// Where a length-prefixed value (bytes, string) lies in ``bytes``; the cursor moves past it.
        mutating func lengthPrefixedRange() throws(AvroError) -> Range<Int> {
            let length = try long()
            guard length >= 0, length <= Int64(bytes.endIndex - position) else {
                throw AvroError("Failed to read avro value: length \(length) past the end of the message")
            }
            defer { position += Int(length) }
            return position..<position + Int(length)
        }

        mutating func advance(_ count: Int) throws(AvroError) {
            guard count >= 0, count <= bytes.endIndex - position else {
                throw AvroError("Failed to read avro value: \(count) bytes wanted, \(bytes.endIndex - position) left")
            }
            position += count
        }

        /// Four or eight little-endian bytes.
        mutating func littleEndian(_ count: Int) throws(AvroError) -> UInt64 {
            try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// The next block's item count, or nil at the end (a 0 count). A negative count is
        /// followed by the block's size in bytes (skipped: the items are read one by one).
        mutating func blockCount() throws(AvroError) -> Int? {
            var count = try long()
            if count == 0 { return nil }
            if count < 0 {
                count = count == Int64.min ? count : -count
                _ = try long()
            }
            // Each item takes at least one byte unless it is null: bound the count by what is left
            // plus a generous allowance for null items, so a damaged count cannot spin forever.
            guard count > 0, count <= Int64(bytes.endIndex - position) + 1_000_000 else {
                throw AvroError("Failed to read avro value: block count \(count) past the end of the message")
            }
            return Int(count)
        }
    }
}

/// Confluent Schema Registry framing ("CP1"): magic byte 0, a 4-byte big-endian schema id, the
/// Avro body. The error texts are libserdes' (spec A.2).
package enum ConfluentFraming {
    package static func split(_ payload: ArraySlice<UInt8>) throws(AvroError) -> (
        schemaID: Int32, body: ArraySlice<UInt8>
    ) {
        guard payload.count >= 5 else {
            throw AvroError(code: .framing, "Payload is smaller (\(payload.count)) than framing (5)")
        }
        let start = payload.startIndex
        guard payload[start] == 0 else {
            throw AvroError(code: .framing, "Invalid CP1 magic byte \(payload[start]), expected 0")
        }
        var id: UInt32 = 0
        for i in 1...4 { id = id << 8 | UInt32(payload[start + i]) }
        return (Int32(bitPattern: id), payload[(start + 5)...])
    }
}

extension AvroValue {
    /// The value in Avro's JSON encoding as the legacy reader renders it (Avro C
    /// `avro_value_to_json`, spec A.4.2): a non-null union is wrapped as `{"<branch>": value}`;
    /// bytes and fixed become ISO-8859-1 strings; enums their symbol.
    package var legacyJSON: JSONValue {
        switch self {
        case .null: .null
        case .boolean(let b): .bool(b)
        case .int(let i): .number(Array(String(i).utf8))
        case .long(let l): .number(Array(String(l).utf8))
        case .float(let f): f.isFinite ? .number(Array("\(f)".utf8)) : .null
        case .double(let d): d.isFinite ? .number(Array("\(d)".utf8)) : .null
        case .bytes(let raw), .fixed(let raw): .string(Self.latin1(raw))
        case .string(let text): .string(text)
        case .enumeration(let symbol): .string(Array(symbol.utf8))
        case .record(let fields): .object(fields.map { (Array($0.name.utf8), $0.value.legacyJSON) })
        case .array(let items): .array(items.map(\.legacyJSON))
        case .map(let entries): .object(entries.map { ($0.key, $0.value.legacyJSON) })
        case .union(let branch, let value): .object([(Array(branch.utf8), value.legacyJSON)])
        }
    }

    /// What a column receives: unions at the top stepped through, containers as legacy JSON.
    package var columnJSON: JSONValue { unwrapped.legacyJSON }

    /// Bytes as ISO-8859-1 text in UTF-8.
    static func latin1(_ raw: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        for byte in raw {
            if byte < 0x80 {
                out.append(byte)
            } else {
                out.append(0xC0 | byte >> 6)
                out.append(0x80 | byte & 0x3F)
            }
        }
        return out
    }
}
