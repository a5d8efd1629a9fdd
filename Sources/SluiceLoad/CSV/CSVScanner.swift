import Dispatch
import SluiceIO
import Synchronization

/// Splits CSV bytes into rows and fields as they stream in.
///
/// Handles multi-byte separators and delimiters, RFC 4180 enclosures (doubled quotes inside),
/// an escape byte, `trim_space`, `skip_header`, and a `\r` before a `\n` row delimiter (CRLF files).
/// A row cut by a chunk boundary is carried to the next chunk; nothing else is copied.
package struct CSVFormat: Sendable {
    package var columnSeparator: [UInt8]
    package var rowDelimiter: [UInt8]
    package var enclose: UInt8?
    package var escape: UInt8?
    package var trimSpace: Bool
    package var skipHeader: Int

    package init(
        columnSeparator: [UInt8] = [9], rowDelimiter: [UInt8] = [10], enclose: UInt8? = nil, escape: UInt8? = nil,
        trimSpace: Bool = false, skipHeader: Int = 0
    ) {
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
package struct CSVRows: Sendable {
    package var fieldStarts: [Int] = []
    package var fieldEnds: [Int] = []
    /// Index into the field arrays where row `r` starts; `count + 1` entries.
    package var rowFields: [Int] = [0]
    package var rowStarts: [Int] = []
    package var rowEnds: [Int] = []
    /// Bytes of fields that needed unescaping.
    package var unescaped: [UInt8] = []

    package var count: Int { rowStarts.count }

    package func fieldCount(_ row: Int) -> Int { rowFields[row + 1] - rowFields[row] }

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

package struct CSVScanner: Sendable {
    package let format: CSVFormat
    private var carry: [UInt8] = []
    fileprivate var skipped = 0
    private var rows = CSVRows()
    /// Rows are handed out in batches of at most this many (one converter hand-off each).
    package var batchRows = 16384

    package init(format: CSVFormat) { self.format = format }

    /// Bytes of the unfinished row carried to the next chunk.
    package var carriedBytes: Int { carry.count }

    /// Scans `chunk`; calls `emit` with batches of complete rows (ranges into the given buffer).
    package mutating func consume(
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

    /// Whether chunks may be split at any row delimiter and scanned in parallel (no quotes or
    /// escapes that could hide a delimiter, no header lines left to skip).
    package var canScanInParallel: Bool {
        format.enclose == nil && format.escape == nil && skipped >= format.skipHeader
    }

    /// Like ``consume(_:emit:)`` but scans the two halves of a large chunk on two threads;
    /// `emit` may run concurrently from both and says which half a batch came from: every row of
    /// half 0 comes before every row of half 1 in the input (within a half, batches are in
    /// order). Requires ``canScanInParallel``.
    package mutating func consumeInParallel(
        _ chunk: UnsafeRawBufferPointer,
        emit: @escaping @Sendable (_ half: Int, UnsafeRawBufferPointer, CSVRows) throws -> Void
    ) throws {
        guard canScanInParallel, chunk.count >= 256 << 10, carry.isEmpty || firstRowEnd(chunk) != nil else {
            try consume(chunk) { try emit(0, $0, $1) }
            return
        }
        var offset = 0
        if !carry.isEmpty, let end = firstRowEnd(chunk) {
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<end]))
            let joined = carry
            carry.removeAll(keepingCapacity: true)
            try joined.withUnsafeBytes { buffer in _ = try scan(buffer, final: true) { try emit(0, $0, $1) } }
            offset = end
        }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[offset...])
        // Split after the first row delimiter past the middle.
        var split: Int?
        var probe = ScanState()
        split = nextRowEnd(rest, from: rest.count / 2, state: &probe)
        guard let split, split < rest.count else {
            let consumed = try scan(rest, final: false) { try emit(0, $0, $1) }
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[consumed...]))
            return
        }
        // The chunk outlives both halves: `parallel` returns only when they are done.
        let head = SendableBytes(bytes: UnsafeRawBufferPointer(rebasing: rest[0..<split]))
        let tail = SendableBytes(bytes: UnsafeRawBufferPointer(rebasing: rest[split...]))
        let format = self.format
        let batchRows = self.batchRows
        let box = ParallelScan()
        BackgroundWork.parallel(2) { part in
            var scanner = CSVScanner(format: format)
            scanner.batchRows = batchRows
            scanner.skipped = format.skipHeader
            do {
                if part == 0 {
                    _ = try scanner.scan(head.bytes, final: true) { try emit(0, $0, $1) }
                } else {
                    let consumed = try scanner.scan(tail.bytes, final: false) { try emit(1, $0, $1) }
                    box.set(consumed: consumed)
                }
            } catch {
                box.fail(error)
            }
        }
        if let error = box.error { throw error }
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: tail.bytes[box.consumed...]))
    }

    /// Flushes a last row without a trailing delimiter; the next body (another file, another
    /// transaction `load`) skips its own `skip_header` lines.
    package mutating func finish(emit: (UnsafeRawBufferPointer, CSVRows) throws -> Void) rethrows {
        defer { skipped = 0 }
        guard !carry.isEmpty else { return }
        var last = carry
        carry.removeAll()
        last.append(contentsOf: format.rowDelimiter)
        try last.withUnsafeBytes { buffer in _ = try scan(buffer, final: true, emit: emit) }
    }

    /// Offset just past the first row delimiter outside an enclosure in `chunk`, continuing the
    /// carried row (whose quote state and partial delimiter are taken into account), or nil.
    private func firstRowEnd(_ chunk: UnsafeRawBufferPointer) -> Int? {
        // Quote and escape state at the end of the carried (partial) row: an open quote or an
        // escape as its last byte decides what the chunk's first bytes mean.
        let quoting = format.enclose != nil || format.escape != nil
        // A delimiter may straddle the boundary: probe the carried tail plus the chunk head.
        let overlap = min(carry.count, format.rowDelimiter.count - 1)
        var state = ScanState()
        return carry.withUnsafeBytes { carried -> Int? in
            if quoting {
                _ = nextRowEnd(
                    UnsafeRawBufferPointer(rebasing: carried[..<(carried.count - overlap)]), from: 0, state: &state)
            }
            if overlap > 0 {
                var probe = Array(carried.suffix(overlap))
                probe.append(contentsOf: chunk.prefix(format.rowDelimiter.count - 1))
                var probeState = state
                if let end = probe.withUnsafeBytes({ nextRowEnd($0, from: 0, state: &probeState) }), end > overlap {
                    return end - overlap
                }
                if quoting {
                    // No delimiter across the boundary: the state after the whole carry.
                    _ = nextRowEnd(
                        UnsafeRawBufferPointer(rebasing: carried[(carried.count - overlap)...]), from: 0, state: &state)
                }
            }
            return nextRowEnd(chunk, from: 0, state: &state)
        }
    }

    struct ScanState {
        var inQuote = false
        /// Bytes to skip at the start of the next buffer: an escape was the previous buffer's
        /// last byte, so the byte after it is escaped.
        var skip = 0
    }

    /// End (exclusive, after the delimiter) of the row starting at `start`.
    private func nextRowEnd(_ b: UnsafeRawBufferPointer, from start: Int, state: inout ScanState) -> Int? {
        let delimiter = format.rowDelimiter
        let d0 = delimiter[0]
        var i = start + state.skip
        state.skip = 0
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
        state.skip = i - n
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
        let sepCount = separator.count, delimCount = delimiter.count
        let enclose = format.enclose, escape = format.escape
        let simple = enclose == nil && escape == nil
        let crlf = delimiter == [10]
        let trim = format.trimSpace
        let n = b.count
        var i = 0
        var rowStart = 0
        var fieldStart = 0
        var inQuote = false
        var special = false
        // Bookkeeping in locals (no `self` access in the byte loop); moved into `rows` per batch.
        var out = CSVRows()
        swap(&out, &rows)
        out.reset()
        out.fieldStarts.reserveCapacity(batchRows * 8)
        out.fieldEnds.reserveCapacity(batchRows * 8)
        var rowFieldStart = 0
        // Plain CSV: jump from one separator or delimiter byte to the next.
        var cursor = simple ? DelimiterCursor(b, s0, d0) : nil
        defer { cursor?.deallocate() }

        while i < n {
            if simple {
                guard let next = cursor!.first(atOrAfter: i) else { break }
                i = next
            }
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
            } else if c != s0 && c != d0 {
                i += 1
                continue
            }
            if c == s0, sepCount == 1 || matches(b, i, separator) {
                Self.endField(
                    b, fieldStart, i, atRowEnd: false, crlf: crlf, trim: trim, enclose: enclose, escape: escape,
                    special: &special, out: &out)
                i += sepCount
                fieldStart = i
                continue
            }
            if c == d0, delimCount == 1 || matches(b, i, delimiter) {
                let lineEnd = i
                i += delimCount
                if skipped < format.skipHeader {
                    skipped += 1
                    out.fieldStarts.removeLast(out.fieldStarts.count - rowFieldStart)
                    out.fieldEnds.removeLast(out.fieldEnds.count - rowFieldStart)
                } else if lineEnd > rowStart || out.fieldStarts.count > rowFieldStart {
                    Self.endField(
                        b, fieldStart, lineEnd, atRowEnd: true, crlf: crlf, trim: trim, enclose: enclose,
                        escape: escape,
                        special: &special, out: &out)
                    out.rowFields.append(out.fieldStarts.count)
                    rowFieldStart = out.fieldStarts.count
                    out.rowStarts.append(rowStart)
                    out.rowEnds.append(crlf && lineEnd > rowStart && b[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd)
                    if out.rowStarts.count >= batchRows {
                        try emit(b, out)
                        out.reset()
                        rowFieldStart = 0
                    }
                }
                rowStart = i
                fieldStart = i
                special = false
                continue
            }
            i += 1
        }
        if out.count > 0 { try emit(b, out) }
        out.reset()
        swap(&out, &rows)
        return final ? n : rowStart
    }

    /// Records the field `fieldStart..<end` (trimmed, unescaped when it had quotes or escapes).
    /// Static with `inout` state rather than a closure over the scan's locals: a closure would box
    /// them and pay dynamic exclusivity checks on every field (measured ~13% of a CSV load).
    @inline(__always)
    private static func endField(
        _ b: UnsafeRawBufferPointer, _ fieldStart: Int, _ end: Int, atRowEnd: Bool, crlf: Bool, trim: Bool,
        enclose: UInt8?,
        escape: UInt8?, special: inout Bool, out: inout CSVRows
    ) {
        var s = fieldStart, e = end
        if crlf, atRowEnd, e > s, b[e - 1] == 13 { e -= 1 }
        if trim {
            while s < e, b[s] == 32 { s += 1 }
            while e > s, b[e - 1] == 32 { e -= 1 }
        }
        if special {
            let outStart = out.unescaped.count
            unescape(b, s, e, enclose: enclose, escape: escape, into: &out.unescaped)
            out.fieldStarts.append(-(outStart + 1))
            out.fieldEnds.append(out.unescaped.count)
        } else {
            out.fieldStarts.append(s)
            out.fieldEnds.append(e)
        }
        special = false
    }

    /// Copies field bytes without enclosures and escapes into `output`.
    private static func unescape(
        _ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int, enclose: UInt8?, escape: UInt8?, into output: inout [UInt8]
    ) {
        var i = s
        var quoted = false
        while i < e {
            let c = b[i]
            if let escape, c == escape, i + 1 < e {
                output.append(b[i + 1])
                i += 2
                continue
            }
            if let enclose, c == enclose {
                if quoted, i + 1 < e, b[i + 1] == enclose {
                    output.append(enclose)
                    i += 2
                    continue
                }
                quoted.toggle()
                i += 1
                continue
            }
            output.append(c)
            i += 1
        }
    }
}

/// Results of the two halves of ``CSVScanner/consumeInParallel(_:emit:)``.
final class ParallelScan: @unchecked Sendable {
    private let lock = SmallLock()
    private(set) var consumed = 0
    private(set) var error: (any Error)?

    func set(consumed: Int) { lock.withLock { self.consumed = consumed } }
    func fail(_ error: any Error) { lock.withLock { if self.error == nil { self.error = error } } }
}

/// A lock that can be a stored property of a class and be shared (Mutex is non-copyable).
final class SmallLock: @unchecked Sendable {
    private let mutex = Mutex(())
    func withLock<T>(_ body: () throws -> T) rethrows -> T { try mutex.withLock { _ in try body() } }
}

/// Bytes handed to a parallel scan (valid until `concurrentPerform` returns).
struct SendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}

extension CSVRows {
    /// Field `k` of row `row`: its bytes in `buffer`, or in `unescaped` when it had quotes or
    /// escapes (a negative start).
    package func field(
        _ row: Int, _ k: Int, in buffer: UnsafeRawBufferPointer, unescaped: UnsafeRawBufferPointer
    ) -> UnsafeRawBufferPointer {
        let i = rowFields[row] + k
        let s = fieldStarts[i]
        let e = fieldEnds[i]
        return s < 0
            ? UnsafeRawBufferPointer(rebasing: unescaped[(-s - 1)..<e])
            : UnsafeRawBufferPointer(rebasing: buffer[s..<e])
    }
}
