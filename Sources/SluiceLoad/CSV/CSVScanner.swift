/// Splits CSV bytes into rows and fields as they stream in.
///
/// Handles multi-byte separators and delimiters, RFC 4180 enclosures (doubled quotes inside),
/// an escape byte, `trim_space`, `skip_header`, and a `\r` before a `\n` row delimiter (CRLF files).
/// A row cut by a chunk boundary is carried to the next chunk; nothing else is copied.
public struct CSVFormat: Sendable {
    public var columnSeparator: [UInt8]
    public var rowDelimiter: [UInt8]
    public var enclose: UInt8?
    public var escape: UInt8?
    public var trimSpace: Bool
    public var skipHeader: Int

    public init(columnSeparator: [UInt8] = [9], rowDelimiter: [UInt8] = [10], enclose: UInt8? = nil, escape: UInt8? = nil,
                trimSpace: Bool = false, skipHeader: Int = 0) {
        self.columnSeparator = columnSeparator
        self.rowDelimiter = rowDelimiter
        self.enclose = enclose
        self.escape = escape
        self.trimSpace = trimSpace
        self.skipHeader = skipHeader
    }
}

/// Rows found in one buffer: field byte ranges plus each row's raw range (for error logs).
/// Ranges index into the buffer passed to the callback; fields that were quoted or escaped are
/// already unescaped into `unescaped` and point there instead (negative start = index − 1 into it).
public struct CSVRows {
    public var fieldStarts: [Int] = []
    public var fieldEnds: [Int] = []
    /// Index into the field arrays where row `r` starts; `count + 1` entries.
    public var rowFields: [Int] = [0]
    public var rowStarts: [Int] = []
    public var rowEnds: [Int] = []
    /// Bytes of fields that needed unescaping.
    public var unescaped: [UInt8] = []

    public var count: Int { rowStarts.count }

    public func fieldCount(_ row: Int) -> Int { rowFields[row + 1] - rowFields[row] }

    mutating func reset() {
        fieldStarts.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        rowFields.removeAll(keepingCapacity: true)
        rowFields.append(0)
        rowStarts.removeAll(keepingCapacity: true)
        rowEnds.removeAll(keepingCapacity: true)
        unescaped.removeAll(keepingCapacity: true)
    }
}

public struct CSVScanner {
    public let format: CSVFormat
    private var carry: [UInt8] = []
    private var skipped = 0
    private var rows = CSVRows()
    /// Rows are handed out in batches of at most this many.
    public var batchRows = 4096

    public init(format: CSVFormat) { self.format = format }

    /// Scans `chunk`; calls `emit` with batches of complete rows (ranges into the given buffer).
    public mutating func consume(
        _ chunk: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer, CSVRows) throws -> Void
    ) rethrows {
        var offset = 0
        if !carry.isEmpty {
            // Complete the carried row with the start of this chunk.
            guard let end = firstRowEnd(chunk) else {
                carry.append(contentsOf: chunk)
                return
            }
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<end]))
            let joined = carry
            carry.removeAll(keepingCapacity: true)
            try joined.withUnsafeBytes { buffer in
                _ = try scan(buffer, final: true, emit: emit)
            }
            offset = end
        }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[offset...])
        let consumed = try scan(rest, final: false, emit: emit)
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[consumed...]))
    }

    /// Flushes a last row without a trailing delimiter.
    public mutating func finish(emit: (UnsafeRawBufferPointer, CSVRows) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        var last = carry
        carry.removeAll()
        last.append(contentsOf: format.rowDelimiter)
        try last.withUnsafeBytes { buffer in _ = try scan(buffer, final: true, emit: emit) }
    }

    /// Offset just past the first row delimiter outside an enclosure, or nil.
    private func firstRowEnd(_ chunk: UnsafeRawBufferPointer) -> Int? {
        // The carried bytes decide whether we start inside quotes: rescan them with the chunk.
        var probe = carry
        let base = probe.count
        probe.append(contentsOf: chunk)
        let end = probe.withUnsafeBytes { buffer -> Int? in
            var state = ScanState()
            return nextRowEnd(buffer, from: 0, state: &state)
        }
        guard let end, end > base else { return nil }
        return end - base
    }

    struct ScanState {
        var inQuote = false
    }

    /// End (exclusive, after the delimiter) of the row starting at `start`.
    private func nextRowEnd(_ b: UnsafeRawBufferPointer, from start: Int, state: inout ScanState) -> Int? {
        let delimiter = format.rowDelimiter
        let d0 = delimiter[0]
        var i = start
        let n = b.count
        while i < n {
            let c = b[i]
            if let escape = format.escape, c == escape {
                i += 2
                continue
            }
            if let enclose = format.enclose, c == enclose {
                state.inQuote.toggle()
                i += 1
                continue
            }
            if !state.inQuote, c == d0, matches(b, i, delimiter) { return i + delimiter.count }
            i += 1
        }
        return nil
    }

    @inline(__always)
    private func matches(_ b: UnsafeRawBufferPointer, _ i: Int, _ pattern: [UInt8]) -> Bool {
        if pattern.count == 1 { return true }
        guard i + pattern.count <= b.count else { return false }
        for k in 1..<pattern.count where b[i + k] != pattern[k] { return false }
        return true
    }

    /// Scans complete rows of `b`; returns how many bytes were consumed.
    private mutating func scan(
        _ b: UnsafeRawBufferPointer, final: Bool, emit: (UnsafeRawBufferPointer, CSVRows) throws -> Void
    ) rethrows -> Int {
        let separator = format.columnSeparator, delimiter = format.rowDelimiter
        let s0 = separator[0], d0 = delimiter[0]
        let enclose = format.enclose, escape = format.escape
        let simple = enclose == nil && escape == nil
        let crlf = delimiter == [10]
        let n = b.count
        var i = 0
        var rowStart = 0
        var fieldStart = 0
        var inQuote = false
        var special = false
        var rowEndsHere = false
        rows.reset()

        func endField(_ end: Int) {
            var s = fieldStart, e = end
            if crlf, e > s, b[e - 1] == 13, e == end, rowEndsHere { e -= 1 }
            if format.trimSpace {
                while s < e, b[s] == 32 { s += 1 }
                while e > s, b[e - 1] == 32 { e -= 1 }
            }
            if special {
                let outStart = rows.unescaped.count
                unescape(b, s, e)
                rows.fieldStarts.append(-(outStart + 1))
                rows.fieldEnds.append(rows.unescaped.count)
            } else {
                rows.fieldStarts.append(s)
                rows.fieldEnds.append(e)
            }
            special = false
        }
        while i < n {
            let c = b[i]
            if !simple {
                if let escape, c == escape, i + 1 < n {
                    special = true
                    i += 2
                    continue
                }
                if let enclose, c == enclose {
                    inQuote.toggle()
                    special = true
                    i += 1
                    continue
                }
                if inQuote {
                    i += 1
                    continue
                }
            }
            if c == s0, matches(b, i, separator) {
                rowEndsHere = false
                endField(i)
                i += separator.count
                fieldStart = i
                continue
            }
            if c == d0, matches(b, i, delimiter) {
                let lineEnd = i
                i += delimiter.count
                if skipped < format.skipHeader {
                    skipped += 1
                } else if lineEnd > rowStart || rows.fieldStarts.count > rows.rowFields.last! {
                    rowEndsHere = true
                    endField(lineEnd)
                    rows.rowFields.append(rows.fieldStarts.count)
                    rows.rowStarts.append(rowStart)
                    rows.rowEnds.append(crlf && lineEnd > rowStart && b[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd)
                    if rows.count >= batchRows {
                        try emit(b, rows)
                        rows.reset()
                    }
                } else {
                    // An empty line: skipped.
                }
                rows.fieldStarts.removeLast(rows.fieldStarts.count - rows.rowFields.last!)
                rows.fieldEnds.removeLast(rows.fieldEnds.count - rows.rowFields.last!)
                rowStart = i
                fieldStart = i
                special = false
                continue
            }
            i += 1
        }
        if rows.count > 0 { try emit(b, rows) }
        rows.reset()
        return final ? n : rowStart
    }

    /// Copies field bytes without enclosures and escapes into `rows.unescaped`.
    private mutating func unescape(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) {
        var i = s
        var quoted = false
        while i < e {
            let c = b[i]
            if let escape = format.escape, c == escape, i + 1 < e {
                rows.unescaped.append(b[i + 1])
                i += 2
                continue
            }
            if let enclose = format.enclose, c == enclose {
                if quoted, i + 1 < e, b[i + 1] == enclose {
                    rows.unescaped.append(enclose)
                    i += 2
                    continue
                }
                quoted.toggle()
                i += 1
                continue
            }
            rows.unescaped.append(c)
            i += 1
        }
    }
}
