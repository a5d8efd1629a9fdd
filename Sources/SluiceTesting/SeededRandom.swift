/// A deterministic generator (SplitMix64): one seed reproduces a whole test run.
///
/// Tests print the seed on failure; set `SLUICE_SEED` to replay one.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed from `SLUICE_SEED`, or `fallback`.
    package static func seedFromEnvironment(default fallback: UInt64) -> UInt64 {
        if let text = getenv("SLUICE_SEED"), let seed = UInt64(String(cString: text)) { return seed }
        return fallback
    }
}

#if canImport(Glibc)
    import Glibc
#endif
