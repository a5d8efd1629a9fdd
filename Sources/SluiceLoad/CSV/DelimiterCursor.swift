internal import CSluiceSupport

/// Walks the offsets of a buffer's separator and row-delimiter bytes in order, found 64 bytes at
/// a time by a vectorised search (`sluice_find_either`), so the scanner's loop visits only the
/// bytes that matter instead of every byte of a field.
///
/// Owns a fixed scratch buffer: call ``deallocate()`` when done (the scanner does, with `defer`).
struct DelimiterCursor {
    private let data: UnsafeRawBufferPointer
    private let a: UInt8
    private let b: UInt8
    private let positions: UnsafeMutablePointer<UInt32>
    private let capacity: Int
    private var count = 0
    private var next = 0
    /// Offset of the window the positions are relative to, and how far the search has looked.
    private var base = 0
    private var searched = 0

    init(_ data: UnsafeRawBufferPointer, _ a: UInt8, _ b: UInt8, capacity: Int = 8192) {
        self.data = data
        self.a = a
        self.b = b
        self.capacity = capacity
        self.positions = .allocate(capacity: capacity)
    }

    func deallocate() { positions.deallocate() }

    /// The offset of the first `a` or `b` byte at or after `offset`, or nil when there is none.
    @inline(__always)
    mutating func first(atOrAfter offset: Int) -> Int? {
        while true {
            while next < count {
                let p = base + Int(positions[next])
                next += 1
                if p >= offset { return p }
            }
            guard refill(from: Swift.max(offset, searched)) else { return nil }
        }
    }

    private mutating func refill(from start: Int) -> Bool {
        guard start < data.count, let address = data.baseAddress else { return false }
        var examined = 0
        count = sluice_find_either(
            address.assumingMemoryBound(to: UInt8.self) + start, data.count - start, a, b, positions, capacity,
            &examined)
        next = 0
        base = start
        searched = start + examined
        return true
    }
}
