import SluiceFormat

/// SQL `LIKE` with `%`, `_` and `\` escapes, over bytes.
package enum PatternMatching {
    static let like = ScalarFunction(name: "like") { args, n, _ in
        let text = OperatorKernels.expand(args[0], n)
        let pattern = args[1]
        var out = [Int64](repeating: 0, count: n)
        let constant = pattern.count == 1 ? (pattern.isNull(0) ? nil : Array(pattern.byteSlice(0))) : nil
        for i in 0..<n where !text.isNull(i) {
            let p: [UInt8]
            if pattern.count == 1 {
                guard let constant else { continue }
                p = constant
            } else {
                if pattern.isNull(i) { continue }
                p = Array(pattern.byteSlice(i))
            }
            out[i] = matches(Array(text.byteSlice(i)), p) ? 1 : 0
        }
        let nulls = OperatorKernels.unionNulls([text, OperatorKernels.expand(pattern, n)], n)
        return ColumnVector(type: .boolean, ints: out, nulls: nulls)
    }

    /// Iterative wildcard matching with backtracking to the last `%`.
    package static func matches(_ s: [UInt8], _ p: [UInt8]) -> Bool {
        var si = 0, pi = 0
        var star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == 92, pi + 1 < p.count {
                if p[pi + 1] == s[si] {
                    si += 1
                    pi += 2
                    continue
                }
            } else if pi < p.count, p[pi] == 95 || (p[pi] != 37 && p[pi] == s[si]) {
                si += 1
                pi += 1
                continue
            } else if pi < p.count, p[pi] == 37 {
                star = pi
                mark = si
                pi += 1
                continue
            }
            if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
                continue
            }
            return false
        }
        while pi < p.count, p[pi] == 37 { pi += 1 }
        return pi == p.count
    }
}
