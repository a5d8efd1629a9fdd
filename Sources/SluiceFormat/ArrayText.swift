/// ARRAY<T> values as text: `[1,2,3]`, `["a",null]`, `[[1],[2,3]]` — what loads read (CSV fields,
/// JSON values, Avro arrays rendered as JSON) and what SELECT shows. A value is stored in its
/// canonical form: each element converted to the element type (as a load converts a field) and
/// written back without spaces; strings quoted with JSON escapes, NULL elements as `null`.
package enum ArrayText {
    /// Deepest nesting accepted (`ARRAY<ARRAY<…>>` levels in a value).
    package static let maxDepth = 32

    /// The canonical text of `text` as an `ARRAY<element>`, or the reason it is not one.
    package static func canonical(_ text: UnsafeBufferPointer<UInt8>, element: ColumnType) -> Result<
        [UInt8], ValueParser.Failure
    > {
        var reader = Reader(bytes: text, position: 0)
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        reader.skipSpace()
        guard reader.array(element, into: &out, depth: 0) else { return .failure(reader.failure) }
        reader.skipSpace()
        guard reader.position == text.count else { return .failure(.invalid) }
        return .success(out)
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        var failure = ValueParser.Failure.invalid

        var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while let c = current, c == 32 || c == 9 || c == 10 || c == 13 { position += 1 }
        }

        mutating func array(_ element: ColumnType, into out: inout [UInt8], depth: Int) -> Bool {
            guard depth < ArrayText.maxDepth, current == UInt8(ascii: "[") else { return false }
            position += 1
            out.append(UInt8(ascii: "["))
            skipSpace()
            if current == UInt8(ascii: "]") {
                position += 1
                out.append(UInt8(ascii: "]"))
                return true
            }
            while true {
                skipSpace()
                guard value(element, into: &out, depth: depth) else { return false }
                skipSpace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    out.append(UInt8(ascii: ","))
                    continue
                }
                guard current == UInt8(ascii: "]") else { return false }
                position += 1
                out.append(UInt8(ascii: "]"))
                return true
            }
        }

        mutating func value(_ element: ColumnType, into out: inout [UInt8], depth: Int) -> Bool {
            if case .array(let inner) = element {
                if literal("null") {
                    out.append(contentsOf: "null".utf8)
                    return true
                }
                return array(inner, into: &out, depth: depth + 1)
            }
            let text: [UInt8]
            if current == 34 {
                guard let unquoted = quoted() else { return false }
                text = unquoted
            } else {
                let start = position
                while let c = current, c != UInt8(ascii: ","), c != UInt8(ascii: "]"), c != 32, c != 9, c != 10,
                    c != 13
                {
                    position += 1
                }
                guard position > start else { return false }
                text = Array(bytes[start..<position])
                if text == Array("null".utf8) {
                    out.append(contentsOf: "null".utf8)
                    return true
                }
            }
            let parsed = text.withUnsafeBufferPointer { ValueParser.parse($0, as: element) }
            switch parsed {
            case .failure(let reason):
                failure = reason
                return false
            case .success(let value):
                let rendered = value.text(as: element) ?? "null"
                if element.physical == .bytes || element == .date || element == .datetime {
                    JSONEscaping.appendQuoted(Array(rendered.utf8), to: &out)
                } else {
                    out.append(contentsOf: rendered.utf8)
                }
                return true
            }
        }

        mutating func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard bytes.count - position >= w.count, Array(bytes[position..<position + w.count]) == w else {
                return false
            }
            position += w.count
            return true
        }

        /// A JSON string at the position, unescaped.
        mutating func quoted() -> [UInt8]? {
            position += 1
            var out = [UInt8]()
            while let c = current {
                position += 1
                if c == 34 { return out }
                guard c == 92 else {
                    out.append(c)
                    continue
                }
                guard let e = current else { return nil }
                position += 1
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    guard bytes.count - position >= 4,
                        let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { return nil }
                    position += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            }
            return nil
        }
    }
}
