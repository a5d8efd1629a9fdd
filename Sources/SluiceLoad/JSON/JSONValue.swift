import SluiceFormat

/// A parsed JSON value. Numbers keep their text (so DECIMAL columns stay exact).
package indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number([UInt8])
    case string([UInt8])
    case array([JSONValue])
    case object([(key: [UInt8], value: JSONValue)])

    package static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)), (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Member `key` of an object.
    package func member(_ key: [UInt8]) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Text a column receives: strings unquoted, numbers and booleans as written, containers as JSON.
    package var fieldText: [UInt8]? {
        switch self {
        case .null: nil
        case .bool(let b): Array((b ? "true" : "false").utf8)
        case .number(let n): n
        case .string(let s): s
        case .array, .object: serialized
        }
    }

    /// Compact JSON text.
    package var serialized: [UInt8] {
        var out = [UInt8]()
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .number(let n): out.append(contentsOf: n)
        case .string(let s): JSONEscaping.appendQuoted(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONEscaping.appendQuoted(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// A recursive-descent JSON parser over bytes (RFC 8259; depth-limited).
package struct JSONParser {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var message: String
        package var offset: Int
        package var description: String { "\(message) at offset \(offset)" }
    }

    private let b: UnsafeRawBufferPointer
    private var i = 0
    private let maxDepth = 512

    /// Parses exactly one value (surrounding whitespace allowed).
    package static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
        var parser = JSONParser(b: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == bytes.count else {
            throw Failure(message: "unexpected trailing characters", offset: parser.i)
        }
        return value
    }

    private init(b: UnsafeRawBufferPointer) { self.b = b }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 32 || b[i] == 10 || b[i] == 13 || b[i] == 9 { i += 1 }
    }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: i) }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < maxDepth else { throw fail("nesting too deep") }
        guard i < b.count else { throw fail("unexpected end of JSON") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members = [(key: [UInt8], value: JSONValue)]()
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard i < b.count, b[i] == 34 else { throw fail("expected a string key") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw fail("unterminated object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items = [JSONValue]()
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw fail("unterminated array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case 34:
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: String) throws(Failure) {
        for c in word.utf8 {
            guard i < b.count, b[i] == c else { throw fail("invalid literal") }
            i += 1
        }
    }

    private mutating func number() throws(Failure) -> [UInt8] {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < b.count, b[i] &- 48 < 10 { i += 1; digits += 1 }
        guard digits > 0 else { throw fail("invalid value") }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var fraction = 0
            while i < b.count, b[i] &- 48 < 10 { i += 1; fraction += 1 }
            guard fraction > 0 else { throw fail("invalid number") }
        }
        if i < b.count, b[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            var exponent = 0
            while i < b.count, b[i] &- 48 < 10 { i += 1; exponent += 1 }
            guard exponent > 0 else { throw fail("invalid number") }
        }
        return Array(b[start..<i])
    }

    private mutating func string() throws(Failure) -> [UInt8] {
        i += 1
        var out = [UInt8]()
        let start = i
        while i < b.count, b[i] != 34, b[i] != 92 { i += 1 }
        out.append(contentsOf: b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == 34 {
                i += 1
                return out
            }
            if c == 92 {
                guard i + 1 < b.count else { break }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "u"):
                    guard i + 4 <= b.count,
                        let code = UInt32(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16)
                    else {
                        throw fail("invalid \\u escape")
                    }
                    i += 4
                    var scalar = code
                    if (0xD800...0xDBFF).contains(code), i + 6 <= b.count, b[i] == 92, b[i + 1] == UInt8(ascii: "u"),
                        let low = UInt32(String(decoding: b[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16),
                        (0xDC00...0xDFFF).contains(low)
                    {
                        scalar = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    out.append(contentsOf: Array(String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(e)
                }
                continue
            }
            guard c >= 32 else { throw fail("control character in string") }
            out.append(c)
            i += 1
        }
        throw fail("unterminated string")
    }
}
