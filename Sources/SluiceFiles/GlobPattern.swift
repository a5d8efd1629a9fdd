/// A path component pattern with Hadoop `globStatus` semantics (spec formats-security-files C.1),
/// as Broker Load, FILES() and Pipe take them: `*` (any run of characters within the component),
/// `?` (one character), `[abc]`, `[a-z]`, `[^a-z]` / `[!a-z]`, `{a,b}` (alternatives, which may hold
/// wildcards themselves), `\` escaping the next character. Components are matched one by one, so a
/// wildcard never crosses `/`.
package struct GlobPattern: Sendable, Hashable {
    /// The pattern with its braces expanded: a name matches if any alternative does.
    private let alternatives: [[Element]]
    /// Whether the pattern holds any wildcard (else it names exactly one entry).
    package let hasWildcard: Bool
    /// Most alternatives nested braces may expand to.
    package static let maxAlternatives = 1024

    enum Element: Sendable, Hashable {
        case literal(UInt8)
        case any
        case anyRun
        /// A class: ranges of bytes, negated or not.
        case set([ClosedRange<UInt8>], negated: Bool)
    }

    /// - Throws: ``FileSourceError`` `.invalidPath` for an unclosed `[` or `{`, or too many alternatives.
    package init(_ pattern: String) throws(FileSourceError) {
        let bytes = Array(pattern.utf8)
        var expanded = [[UInt8]]()
        try Self.expandBraces(bytes, into: &expanded, pattern: pattern)
        var wildcard = expanded.count > 1
        var parsed = [[Element]]()
        for text in expanded {
            let elements = try Self.parse(text, pattern: pattern)
            if elements.contains(where: { if case .literal = $0 { false } else { true } }) { wildcard = true }
            parsed.append(elements)
        }
        alternatives = parsed
        hasWildcard = wildcard
    }

    /// Whether `name` (one path component) matches.
    package func matches(_ name: String) -> Bool {
        let text = Array(name.utf8)
        return alternatives.contains { Self.match($0[...], text[...]) }
    }

    // MARK: Braces

    /// Expands the first top-level `{…}` of `bytes` (recursively), escapes left in place.
    private static func expandBraces(_ bytes: [UInt8], into out: inout [[UInt8]], pattern: String)
        throws(FileSourceError)
    {
        var i = 0
        var open: Int?
        var depth = 0
        var commas = [Int]()
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if c == UInt8(ascii: "{") {
                if depth == 0 { open = i }
                depth += 1
            } else if c == UInt8(ascii: "}"), depth > 0 {
                depth -= 1
                if depth == 0, let start = open {
                    let prefix = Array(bytes[..<start])
                    let suffix = Array(bytes[(i + 1)...])
                    var from = start + 1
                    for cut in commas + [i] {
                        try expandBraces(prefix + Array(bytes[from..<cut]) + suffix, into: &out, pattern: pattern)
                        from = cut + 1
                    }
                    return
                }
            } else if c == UInt8(ascii: ","), depth == 1 {
                commas.append(i)
            }
            i += 1
        }
        guard depth == 0 else { throw FileSourceError(.invalidPath, "Unclosed group in pattern: \(pattern)") }
        guard out.count < maxAlternatives else {
            throw FileSourceError(.invalidPath, "The pattern \(pattern) expands to more than \(maxAlternatives) paths")
        }
        out.append(bytes)
    }

    // MARK: Elements

    private static func parse(_ bytes: [UInt8], pattern: String) throws(FileSourceError) -> [Element] {
        var elements = [Element]()
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\\") where i + 1 < bytes.count:
                elements.append(.literal(bytes[i + 1]))
                i += 2
                continue
            case UInt8(ascii: "*"):
                if elements.last != .anyRun { elements.append(.anyRun) }
            case UInt8(ascii: "?"):
                elements.append(.any)
            case UInt8(ascii: "["):
                var j = i + 1
                var negated = false
                if j < bytes.count, bytes[j] == UInt8(ascii: "^") || bytes[j] == UInt8(ascii: "!") {
                    negated = true
                    j += 1
                }
                var ranges = [ClosedRange<UInt8>]()
                var first = true
                while j < bytes.count, bytes[j] != UInt8(ascii: "]") || first {
                    first = false
                    var low = bytes[j]
                    if low == UInt8(ascii: "\\"), j + 1 < bytes.count {
                        j += 1
                        low = bytes[j]
                    }
                    if j + 2 < bytes.count, bytes[j + 1] == UInt8(ascii: "-"), bytes[j + 2] != UInt8(ascii: "]") {
                        let high = bytes[j + 2]
                        guard low <= high else {
                            throw FileSourceError(.invalidPath, "Illegal character range in pattern: \(pattern)")
                        }
                        ranges.append(low...high)
                        j += 3
                    } else {
                        ranges.append(low...low)
                        j += 1
                    }
                }
                guard j < bytes.count else {
                    throw FileSourceError(.invalidPath, "Unclosed character class in pattern: \(pattern)")
                }
                elements.append(.set(ranges, negated: negated))
                i = j
            default:
                elements.append(.literal(c))
            }
            i += 1
        }
        return elements
    }

    /// Iterative matching with one backtrack point per `*` (linear in practice, no recursion).
    private static func match(_ pattern: ArraySlice<Element>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var star: (p: Int, t: Int)?
        while t < text.endIndex {
            if p < pattern.endIndex {
                switch pattern[p] {
                case .anyRun:
                    star = (p, t)
                    p += 1
                    continue
                case .any:
                    p += 1
                    t += 1
                    continue
                case .literal(let c) where c == text[t]:
                    p += 1
                    t += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(text[t]) } != negated:
                    p += 1
                    t += 1
                    continue
                default:
                    break
                }
            }
            guard let last = star else { return false }
            p = last.p + 1
            t = last.t + 1
            star = (last.p, last.t + 1)
        }
        while p < pattern.endIndex, pattern[p] == .anyRun { p += 1 }
        return p == pattern.endIndex
    }
}
