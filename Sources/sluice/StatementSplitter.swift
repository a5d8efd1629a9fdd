import Foundation

/// Splits SQL text into statements the way a client does: `;` or `\G` (vertical output) outside
/// quotes (`'…'`, `"…"`, `` `…` ``, backslash escapes) and comments (`-- …`, `/* … */`). A piece
/// holding only comments is no statement.
enum StatementSplitter {
    struct Statement: Equatable {
        var text: String
        /// Ended with `\G`.
        var vertical: Bool
    }

    static func split(_ text: String) -> [Statement] {
        scan(text).statements
    }

    /// Whether `text` ends outside a quote or comment, with nothing after its last terminator.
    static func isComplete(_ text: String) -> Bool {
        let result = scan(text)
        return !result.open && !result.pendingContent
    }

    /// `USE name` / `USE default_catalog.name` → name.
    static func usedDatabase(_ statement: String) -> String? {
        let words = statement.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0].lowercased() == "use" else { return nil }
        var name = words[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        if name.hasPrefix("default_catalog.") { name.removeFirst("default_catalog.".count) }
        return name
    }

    private static func scan(_ text: String) -> (statements: [Statement], open: Bool, pendingContent: Bool) {
        let bytes = Array(text.utf8)
        var statements = [Statement]()
        var start = 0
        var i = 0
        var quote: UInt8?
        var blockComment = false
        var content = false
        func flush(_ end: Int, vertical: Bool) {
            let piece = String(decoding: bytes[start..<end], as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            if content, !piece.isEmpty { statements.append(Statement(text: piece, vertical: vertical)) }
            content = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if blockComment {
                if c == UInt8(ascii: "*"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                    blockComment = false
                    i += 1
                }
            } else if let q = quote {
                if c == UInt8(ascii: "\\"), q != UInt8(ascii: "`") {
                    i += 1
                } else if c == q {
                    quote = nil
                }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                quote = c
                content = true
            } else if c == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                blockComment = true
                i += 1
            } else if c == UInt8(ascii: "-"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "-") {
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            } else if c == UInt8(ascii: ";") {
                flush(i, vertical: false)
                start = i + 1
            } else if c == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "G") {
                flush(i, vertical: true)
                i += 1
                start = i + 1
            } else if !(c == 32 || c == 9 || c == 10 || c == 13) {
                content = true
            }
            i += 1
        }
        let open = quote != nil || blockComment
        let pendingContent = content
        // A final statement without a terminator still runs (scripts, the argument).
        if !open { flush(bytes.count, vertical: false) }
        return (statements, open, pendingContent)
    }
}
