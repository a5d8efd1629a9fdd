/// A JsonPath as StarRocks' `jsonpaths` and `json_root` use it: `$.a.b`, `$.a[0]`, `$["a.b"]`,
/// `$.a."b.c"` (quoted keys may contain dots).
package struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    package enum Step: Sendable, Hashable {
        case key([UInt8])
        case index(Int)
    }

    package let steps: [Step]
    package let description: String

    /// - Returns: nil when the text is not a path.
    package init?(_ text: String) {
        description = text
        let b = Array(text.utf8)
        guard b.first == UInt8(ascii: "$") else { return nil }
        var steps = [Step]()
        var i = 1
        func quoted(_ quote: UInt8) -> [UInt8]? {
            i += 1
            var out = [UInt8]()
            while i < b.count, b[i] != quote {
                if b[i] == 92, i + 1 < b.count { i += 1 }
                out.append(b[i])
                i += 1
            }
            guard i < b.count else { return nil }
            i += 1
            return out
        }
        while i < b.count {
            // `.key`, `."quoted.key"`, `[0]` or `["quoted.key"]`.
            let bracket = b[i] == UInt8(ascii: "[")
            guard bracket || b[i] == UInt8(ascii: ".") else { return nil }
            i += 1
            guard i < b.count else { return nil }
            if b[i] == 34 || b[i] == 39 {
                guard let key = quoted(b[i]) else { return nil }
                steps.append(.key(key))
            } else if bracket {
                let start = i
                while i < b.count, b[i] &- 48 < 10 { i += 1 }
                guard i > start, let index = Int(String(decoding: b[start..<i], as: UTF8.self)) else { return nil }
                steps.append(.index(index))
            } else {
                let start = i
                while i < b.count, b[i] != UInt8(ascii: "."), b[i] != UInt8(ascii: "[") { i += 1 }
                guard i > start else { return nil }
                steps.append(.key(Array(b[start..<i])))
            }
            if bracket {
                guard i < b.count, b[i] == UInt8(ascii: "]") else { return nil }
                i += 1
            }
        }
        self.steps = steps
    }

    /// The value at this path, or nil when a step is missing.
    package func evaluate(_ value: JSONValue) -> JSONValue? {
        var current = value
        for step in steps {
            switch step {
            case .key(let key):
                guard let next = current.member(key) else { return nil }
                current = next
            case .index(let index):
                guard case .array(let items) = current, index < items.count else { return nil }
                current = items[index]
            }
        }
        return current
    }
}
