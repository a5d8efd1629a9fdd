/// An open-addressing hash map from `Int64` keys to `UInt64` values (linear probing, backward-shift
/// deletion, no tombstones): 16 bytes per slot, at most 3/4 full, so 21–43 bytes per key.
///
/// `UInt64.max` marks an empty slot; it is never a stored value (a row location's row id is below
/// 2³²−1).
struct IntKeyTable: Sendable {
    private var keys: [Int64]
    private var values: [UInt64]
    private(set) var count = 0
    private var mask: Int

    static let empty = UInt64.max

    init(capacity: Int = 0) {
        var slots = 16
        while slots * 3 / 4 < capacity { slots *= 2 }
        keys = [Int64](repeating: 0, count: slots)
        values = [UInt64](repeating: Self.empty, count: slots)
        mask = slots - 1
    }

    /// Heap bytes held.
    var memoryBytes: Int { keys.count * 16 }

    @inline(__always)
    private func home(_ key: Int64) -> Int {
        var z = UInt64(bitPattern: key) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: z ^ (z >> 31)) & mask
    }

    func get(_ key: Int64) -> UInt64? {
        var i = home(key)
        while values[i] != Self.empty {
            if keys[i] == key { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Sets `key` to `value`. - Returns: the value it replaced.
    @discardableResult
    mutating func put(_ key: Int64, _ value: UInt64) -> UInt64? {
        if (count + 1) * 4 > keys.count * 3 { grow() }
        var i = home(key)
        while values[i] != Self.empty {
            if keys[i] == key {
                let old = values[i]
                values[i] = value
                return old
            }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
        return nil
    }

    /// Removes `key`. - Returns: its value.
    @discardableResult
    mutating func remove(_ key: Int64) -> UInt64? {
        var i = home(key)
        while values[i] != Self.empty {
            if keys[i] == key { break }
            i = (i + 1) & mask
        }
        guard values[i] != Self.empty else { return nil }
        let old = values[i]
        // Backward shift: pull later members of the probe run into the hole.
        var hole = i
        var j = (i + 1) & mask
        while values[j] != Self.empty {
            let h = home(keys[j])
            // Move j into the hole unless its home lies cyclically in (hole, j].
            let inRange = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !inRange {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        values[hole] = Self.empty
        count -= 1
        return old
    }

    /// Every entry (unordered).
    func forEach(_ body: (Int64, UInt64) -> Void) {
        for i in values.indices where values[i] != Self.empty { body(keys[i], values[i]) }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let slots = keys.count * 2
        keys = [Int64](repeating: 0, count: slots)
        values = [UInt64](repeating: Self.empty, count: slots)
        mask = slots - 1
        count = 0
        for i in oldValues.indices where oldValues[i] != Self.empty { put(oldKeys[i], oldValues[i]) }
    }
}
