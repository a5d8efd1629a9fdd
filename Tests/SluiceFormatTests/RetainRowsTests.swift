import SluiceFormat
import SluiceTesting
import Testing

/// `ColumnVector.retainRows` (a scan dropping deleted rows in place) equals `gather` on every
/// lane, with NULLs and dictionary pages.
@Suite struct RetainRowsTests {
    @Test func retainingEqualsGatheringOnEveryLane() throws {
        var random = SeededRandom(seed: SeededRandom.seedFromEnvironment(default: 20_261_204))
        for round in 0..<200 {
            let rows = Int.random(in: 0...300, using: &random)
            let types: [ColumnType] = [.bigint, .largeint, .double, .varchar(length: 20)]
            let type = types[round % types.count]
            var column = ColumnVector(type: type)
            for r in 0..<rows {
                if Int.random(in: 0..<5, using: &random) == 0 {
                    column.appendNull()
                    continue
                }
                switch type.physical {
                case .int64: column.append(.int(Int64(r * 3)))
                case .int128: column.append(.wide(Int128(r) << 70))
                case .float64: column.append(.double(Double(r) / 4))
                case .bytes:
                    column.append(.string(round % 8 < 4 ? "v\(r % 3)" : String(repeating: "x", count: r % 7) + "\(r)"))
                }
            }
            // Through a page, so string columns may come back with dictionary codes.
            let page = PageCodec.encode(column, range: 0..<rows).bytes
            var decoded = ColumnVector(type: type)
            try PageCodec.decode(page, into: &decoded)
            let kept = (0..<rows).filter { _ in Bool.random(using: &random) }
            let expected = decoded.gather(kept)
            var retained = decoded
            retained.retainRows(kept)
            #expect(retained.count == kept.count)
            #expect((0..<kept.count).map { retained.value(at: $0) } == (0..<kept.count).map { expected.value(at: $0) })
            if let codes = retained.dictionaryCodes, let full = decoded.dictionaryCodes {
                #expect(codes.codes == kept.map { full.codes[$0] })
            }
        }
    }
}
