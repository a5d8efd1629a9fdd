/// MySQL packet framing (spec mysql-protocol §1): a 3-byte little-endian payload length and a
/// sequence id before each payload; a payload of 0xFFFFFF bytes means another packet continues it.
///
/// A value: the connection feeds it bytes as they arrive and takes out whole logical packets.
package struct PacketFramer: Sendable {
    /// The longest single packet payload; longer logical payloads are split.
    package static let maxPacket = 0xFF_FFFF

    /// A logical packet: its first frame's sequence id and the reassembled payload.
    package struct Packet: Sendable, Equatable {
        package var sequence: UInt8
        package var payload: [UInt8]
    }

    /// Why the byte stream cannot be read further (the connection is closed).
    package enum Failure: Error, Sendable, Equatable {
        /// A frame's sequence id is not the one expected (`Bad packet sequence.` in StarRocks).
        case badSequence(expected: UInt8, got: UInt8)
        /// The logical payload would exceed `max_allowed_packet`.
        case tooLarge(limit: Int)
    }

    private var buffer: [UInt8] = []
    private var partial: [UInt8] = []
    private var partialSequence: UInt8?
    /// The sequence id the next frame must carry (nil: any, the start of a command).
    package var expectedSequence: UInt8?
    /// Largest logical payload accepted.
    package let limit: Int

    package init(limit: Int = 64 << 20) { self.limit = limit }

    /// Adds received bytes.
    package mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next complete logical packet, or nil until more bytes arrive.
    package mutating func next() throws(Failure) -> Packet? {
        var consumed = 0
        defer { if consumed > 0 { buffer.removeFirst(consumed) } }
        while buffer.count - consumed >= 4 {
            let length = Int(buffer[consumed]) | Int(buffer[consumed + 1]) << 8 | Int(buffer[consumed + 2]) << 16
            let sequence = buffer[consumed + 3]
            guard buffer.count - consumed - 4 >= length else { return nil }
            if let expected = expectedSequence, sequence != expected {
                throw .badSequence(expected: expected, got: sequence)
            }
            guard partial.count + length <= limit else { throw .tooLarge(limit: limit) }
            expectedSequence = sequence &+ 1
            if partialSequence == nil { partialSequence = sequence }
            partial.append(contentsOf: buffer[(consumed + 4)..<(consumed + 4 + length)])
            consumed += 4 + length
            if length < Self.maxPacket {
                let packet = Packet(sequence: partialSequence!, payload: partial)
                partial = []
                partialSequence = nil
                return packet
            }
        }
        return nil
    }

    /// The frames of one logical payload starting at `sequence`, split at 0xFFFFFF bytes (an
    /// exact multiple ends with an empty frame). - Returns: the bytes and the next sequence id.
    package static func frames(_ payload: [UInt8], sequence: UInt8) -> (bytes: [UInt8], next: UInt8) {
        var out = [UInt8]()
        out.reserveCapacity(payload.count + 4 * (payload.count / maxPacket + 1))
        var sequence = sequence
        var start = 0
        while true {
            let length = min(maxPacket, payload.count - start)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8 & 0xFF))
            out.append(UInt8(length >> 16 & 0xFF))
            out.append(sequence)
            out.append(contentsOf: payload[start..<(start + length)])
            sequence &+= 1
            start += length
            if length < maxPacket { return (out, sequence) }
        }
    }
}
