/// A SQL token with its offset in the source (for error messages).
package struct Token: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Unquoted identifier or keyword; compare keywords with ``Token/isKeyword(_:)``.
        case word(String)
        /// `backquoted` identifier (never a keyword).
        case quotedIdentifier(String)
        case string(String)
        /// Numeric literal text (`12`, `0.1`, `1e5`).
        case number(String)
        /// Punctuation and operators: `( ) , . ; * + - / % = != <> < <= > >= || &&`, and `?` (a
        /// prepared statement's placeholder).
        case symbol(String)
        case end
    }

    package var kind: Kind
    package var offset: Int

    package func isKeyword(_ keyword: String) -> Bool {
        if case .word(let w) = kind { return w.equalsIgnoringCaseASCII(keyword) }
        return false
    }

    package func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = kind { return s == symbol }
        return false
    }

    /// Human text of the token for error messages.
    package var text: String {
        switch kind {
        case .word(let w): w
        case .quotedIdentifier(let w): "`\(w)`"
        case .string(let s): "'\(s)'"
        case .number(let n): n
        case .symbol(let s): s
        case .end: "end of input"
        }
    }
}

extension String {
    func equalsIgnoringCaseASCII(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 97 && (a | 0x20) <= 122)
        }
    }
}

/// Splits SQL text into tokens. Strings take `'…'` or `"…"` with backslash escapes
/// (`\t \n \r \0 \\ \' \"`), identifiers may be backquoted, comments (`-- …`, `/* … */`) are skipped.
package enum Lexer {
    package static func tokenize(_ source: String) throws(ExprError) -> [Token] {
        let bytes = Array(source.utf8)
        var tokens = [Token]()
        var i = 0
        let n = bytes.count
        func isIdentStart(_ c: UInt8) -> Bool { (c | 0x20 >= 97 && c | 0x20 <= 122) || c == 95 || c >= 0x80 }
        func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 48 && c <= 57) || c == 36 }
        while i < n {
            let c = bytes[i]
            if c == 32 || c == 9 || c == 10 || c == 13 {
                i += 1
                continue
            }
            if c == 45, i + 1 < n, bytes[i + 1] == 45 {
                while i < n, bytes[i] != 10 { i += 1 }
                continue
            }
            if c == 47, i + 1 < n, bytes[i + 1] == 42 {
                i += 2
                while i + 1 < n, !(bytes[i] == 42 && bytes[i + 1] == 47) { i += 1 }
                i += 2
                continue
            }
            let start = i
            // `$1`, `$2`, …: FILES()'s names for CSV columns.
            let positional = c == 36 && i + 1 < n && bytes[i + 1] >= 48 && bytes[i + 1] <= 57
            if isIdentStart(c) || positional {
                i += 1
                while i < n, isIdentPart(bytes[i]) { i += 1 }
                tokens.append(Token(kind: .word(String(decoding: bytes[start..<i], as: UTF8.self)), offset: start))
            } else if c >= 48 && c <= 57 || (c == 46 && i + 1 < n && bytes[i + 1] >= 48 && bytes[i + 1] <= 57) {
                while i < n, bytes[i] >= 48 && bytes[i] <= 57 || bytes[i] == 46 { i += 1 }
                if i < n, bytes[i] | 0x20 == 101 {
                    var j = i + 1
                    if j < n, bytes[j] == 43 || bytes[j] == 45 { j += 1 }
                    if j < n, bytes[j] >= 48 && bytes[j] <= 57 {
                        i = j
                        while i < n, bytes[i] >= 48 && bytes[i] <= 57 { i += 1 }
                    }
                }
                tokens.append(Token(kind: .number(String(decoding: bytes[start..<i], as: UTF8.self)), offset: start))
            } else if c == 39 || c == 34 {
                i += 1
                var text = [UInt8]()
                var closed = false
                while i < n {
                    let d = bytes[i]
                    if d == 92, i + 1 < n {
                        let e = bytes[i + 1]
                        switch e {
                        case 110: text.append(10)
                        case 116: text.append(9)
                        case 114: text.append(13)
                        case 48: text.append(0)
                        case 98: text.append(8)
                        case 90: text.append(26)
                        default: text.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == c {
                        if i + 1 < n, bytes[i + 1] == c {
                            text.append(c)
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    text.append(d)
                    i += 1
                }
                guard closed else { throw ExprError(.syntax, "Unterminated string literal", position: start) }
                tokens.append(Token(kind: .string(String(decoding: text, as: UTF8.self)), offset: start))
            } else if c == 96 {
                i += 1
                let s = i
                while i < n, bytes[i] != 96 { i += 1 }
                guard i < n else { throw ExprError(.syntax, "Unterminated quoted identifier", position: start) }
                tokens.append(
                    Token(kind: .quotedIdentifier(String(decoding: bytes[s..<i], as: UTF8.self)), offset: start))
                i += 1
            } else {
                let two = i + 1 < n ? String(decoding: bytes[i...(i + 1)], as: UTF8.self) : ""
                if ["!=", "<>", "<=", ">=", "||", "&&", "<=>"].contains(two) {
                    tokens.append(Token(kind: .symbol(two == "<>" ? "!=" : two), offset: start))
                    i += 2
                } else if "(),.;*+-/%=<>!~^&|:[]{}@?".utf8.contains(c) {
                    tokens.append(Token(kind: .symbol(String(UnicodeScalar(c))), offset: start))
                    i += 1
                } else {
                    throw ExprError(.syntax, "Unexpected character '\(String(UnicodeScalar(c)))'", position: start)
                }
            }
        }
        tokens.append(Token(kind: .end, offset: n))
        return tokens
    }
}
