/// Builds MySQL payloads: little-endian integers, length-encoded integers and strings.
package struct WireWriter: Sendable {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    package mutating func int1(_ value: UInt8) { bytes.append(value) }

    package mutating func int2(_ value: Int) {
        bytes.append(UInt8(value & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
    }

    package mutating func int4(_ value: Int) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(value >> shift & 0xFF)) }
    }

    /// A length-encoded integer (`< 0xFB` one byte; `0xFC` + 2; `0xFD` + 3; `0xFE` + 8).
    package mutating func lenenc(_ value: UInt64) {
        switch value {
        case ..<0xFB: bytes.append(UInt8(value))
        case ..<0x1_0000:
            bytes.append(0xFC)
            int2(Int(value))
        case ..<0x100_0000:
            bytes.append(0xFD)
            for shift in [0, 8, 16] { bytes.append(UInt8(value >> UInt64(shift) & 0xFF)) }
        default:
            bytes.append(0xFE)
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(value >> UInt64(shift) & 0xFF)) }
        }
    }

    /// A length-encoded string.
    package mutating func lenencString(_ value: some Collection<UInt8>) {
        lenenc(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    package mutating func lenencString(_ value: String) { lenencString(Array(value.utf8)) }

    /// Bytes followed by a NUL.
    package mutating func nulTerminated(_ value: String) {
        bytes.append(contentsOf: value.utf8)
        bytes.append(0)
    }

    package mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
}

/// Reads MySQL payloads; every read throws `.truncated` past the end (a malformed packet is an
/// error, never a crash).
package struct WireReader: Sendable {
    package enum Failure: Error, Sendable, Equatable { case truncated }

    private let bytes: [UInt8]
    package private(set) var position = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package var remaining: Int { bytes.count - position }
    package var isAtEnd: Bool { position >= bytes.count }

    package mutating func int1() throws(Failure) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    package mutating func int2() throws(Failure) -> Int {
        Int(try int1()) | Int(try int1()) << 8
    }

    package mutating func int4() throws(Failure) -> Int {
        Int(try int2()) | Int(try int2()) << 16
    }

    package mutating func lenenc() throws(Failure) -> UInt64 {
        let first = try int1()
        switch first {
        case 0xFC: return UInt64(try int2())
        case 0xFD: return UInt64(try int2()) | UInt64(try int1()) << 16
        case 0xFE: return UInt64(try int4()) | UInt64(try int4()) << 32
        default: return UInt64(first)
        }
    }

    package mutating func bytes(_ count: Int) throws(Failure) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    package mutating func lenencBytes() throws(Failure) -> [UInt8] {
        let length = try lenenc()
        guard length <= UInt64(remaining) else { throw .truncated }
        return try bytes(Int(length))
    }

    /// Bytes up to a NUL (consumed); the rest when there is no NUL.
    package mutating func nulTerminated() -> [UInt8] {
        let end = bytes[position...].firstIndex(of: 0) ?? bytes.count
        defer { position = min(bytes.count, end + 1) }
        return Array(bytes[position..<end])
    }

    package mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return Array(bytes[position...])
    }
}
