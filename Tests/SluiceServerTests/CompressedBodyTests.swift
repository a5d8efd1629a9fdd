import CBzip2
import CLZ4
import CZstd
import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Bodies compressed with lz4_frame, zstd and bzip2 (`compression` / `Content-Encoding`) and
/// compressed CSV named by `format`, over real HTTP. Test data is compressed in-process with the
/// same C libraries, so no command-line tools are needed.
@Suite(.serialized) struct CompressedBodyTests {
    enum Codec: String, CaseIterable {
        case lz4 = "lz4_frame", zstd, bzip2

        func compress(_ data: [UInt8]) -> [UInt8] {
            switch self {
            case .lz4:
                let bound = LZ4F_compressFrameBound(data.count, nil)
                var out = [UInt8](repeating: 0, count: bound)
                let written = out.withUnsafeMutableBytes { o in
                    data.withUnsafeBytes { LZ4F_compressFrame(o.baseAddress, bound, $0.baseAddress, data.count, nil) }
                }
                precondition(LZ4F_isError(written) == 0)
                return Array(out[..<written])
            case .zstd:
                let bound = ZSTD_compressBound(data.count)
                var out = [UInt8](repeating: 0, count: bound)
                let written = out.withUnsafeMutableBytes { o in
                    data.withUnsafeBytes { ZSTD_compress(o.baseAddress, bound, $0.baseAddress, data.count, 3) }
                }
                precondition(ZSTD_isError(written) == 0)
                return Array(out[..<written])
            case .bzip2:
                var length = UInt32(data.count + data.count / 100 + 600)
                var out = [UInt8](repeating: 0, count: Int(length))
                var source = data
                let code = out.withUnsafeMutableBytes { o in
                    source.withUnsafeMutableBytes {
                        BZ2_bzBuffToBuffCompress(
                            o.baseAddress!.assumingMemoryBound(to: CChar.self), &length,
                            $0.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(data.count), 9, 0, 0)
                    }
                }
                precondition(code == BZ_OK)
                return Array(out[..<Int(length)])
            }
        }

        /// The `format` value that means CSV compressed this way.
        var format: String { self == .lz4 ? "lz4" : rawValue }
    }

    @Test(.timeLimit(.minutes(2)))
    func everyCodecLoadsAndBrokenBodiesFailClearly() async throws {
        let (directory, server, sql) = try await startServer(tables: [
            "CREATE TABLE t (id INT, s VARCHAR(40)) DISTRIBUTED BY HASH(id) BUCKETS 2"
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "http://127.0.0.1:\(server.port)/api/db/t/_stream_load"
        // ~1.7 MB of CSV: decompressed output is handed on in more than one piece.
        let plain = Array((0..<100_000).map { "\($0),row-\($0 &* 2_654_435_761 % 1_000_003)\n" }.joined().utf8)
        func load(_ body: [UInt8], _ headers: [String]) throws -> Curl.Response {
            try Curl.run(
                ["-u", "root:", "-H", "column_separator: ,"] + headers.flatMap { ["-H", $0] } + ["-T", "-", url],
                stdin: Data(body))
        }
        var expected = 0
        for codec in Codec.allCases {
            let packed = codec.compress(plain)
            #expect(packed.count < plain.count)
            for headers in [
                ["compression: \(codec.rawValue)"], ["Content-Encoding: \(codec.rawValue)"],
                ["format: \(codec.format)"],
            ] {
                let r = try load(packed, headers)
                #expect(r.string("Status") == "Success", "\(headers): \(r.body)")
                #expect(r.int("NumberLoadedRows") == 100_000, "\(headers)")
                expected += 100_000
            }
            // Two frames (streams) back to back decode as one body.
            let twice = try load(packed + codec.compress(Array("9,last\n".utf8)), ["compression: \(codec.rawValue)"])
            #expect(twice.int("NumberLoadedRows") == 100_001, "\(codec)")
            expected += 100_001
            // Cut short: the body ends inside a frame.
            let cut = try load(Array(packed.prefix(packed.count - 7)), ["compression: \(codec.rawValue)"])
            #expect(cut.string("Status") == "Fail", "\(codec)")
            #expect(
                cut.string("Message")?.contains("is not valid \(codec.rawValue) data") == true, "\(codec): \(cut.body)")
            // Not compressed at all.
            let garbage = try load(Array("1,not compressed\n".utf8), ["compression: \(codec.rawValue)"])
            #expect(garbage.string("Status") == "Fail", "\(codec)")
            #expect(
                garbage.string("Message")?.contains("is not valid \(codec.rawValue) data") == true,
                "\(codec): \(garbage.body)")
        }
        let both = try load(Codec.zstd.compress(plain), ["format: zstd", "compression: zstd"])
        #expect(
            both.string("Message")
                == "format=zstd already names the body's compression; do not also set compression or Content-Encoding")
        let unknown = try load(plain, ["compression: brotli"])
        #expect(unknown.string("Message")?.contains("compression brotli is not supported") == true)
        #expect(try await sql.execute("SELECT count(*) FROM t", database: "db").rows == [["\(expected)"]])
        #expect(server.terminate().status == 0)
    }
}
