import SluiceLoad
import Synchronization
import Testing

@Suite struct CSVScannerTests {
    /// Scans `text` split into chunks at `splits`, returning rows of fields as strings.
    static func rows(_ text: String, format: CSVFormat, splits: [Int] = []) -> [[String]] {
        var scanner = CSVScanner(format: format)
        var out = [[String]]()
        let bytes = Array(text.utf8)
        func collect(_ buffer: UnsafeRawBufferPointer, _ rows: CSVRows) {
            rows.unescaped.withUnsafeBytes { unescaped in
                for r in 0..<rows.count {
                    var fields = [String]()
                    for f in rows.rowFields[r]..<rows.rowFields[r + 1] {
                        let s = rows.fieldStarts[f], e = rows.fieldEnds[f]
                        let slice = s < 0 ? unescaped[(-s - 1)..<e] : buffer[s..<e]
                        fields.append(String(decoding: slice, as: UTF8.self))
                    }
                    out.append(fields)
                }
            }
        }
        var start = 0
        for split in splits + [bytes.count] where split >= start {
            bytes[start..<split].withUnsafeBytes { scanner.consume($0, emit: collect) }
            start = split
        }
        scanner.finish(emit: collect)
        return out
    }

    @Test func splitsFieldsAndRows() {
        let format = CSVFormat(columnSeparator: [44])
        #expect(Self.rows("1,a,x\n2,b,y\n", format: format) == [["1", "a", "x"], ["2", "b", "y"]])
        #expect(Self.rows("1,a\n2,b", format: format) == [["1", "a"], ["2", "b"]])
        #expect(Self.rows("1,,\n", format: format) == [["1", "", ""]])
        #expect(Self.rows("1,a\r\n2,b\r\n", format: format) == [["1", "a"], ["2", "b"]])
        #expect(Self.rows("1,a\n\n2,b\n", format: format) == [["1", "a"], ["2", "b"]])
    }

    @Test func multiByteSeparatorsAndDelimiters() {
        let format = CSVFormat(columnSeparator: Array("||".utf8), rowDelimiter: Array("<EOR>".utf8))
        #expect(Self.rows("1||a|b<EOR>2||c<EOR>", format: format) == [["1", "a|b"], ["2", "c"]])
    }

    @Test func enclosuresAndEscapes() {
        let format = CSVFormat(columnSeparator: [44], enclose: 34, escape: 92)
        #expect(Self.rows("1,\"a,b\",\"say \"\"hi\"\"\"\n", format: format) == [["1", "a,b", "say \"hi\""]])
        #expect(Self.rows("1,\"line\nbreak\"\n2,x\n", format: format) == [["1", "line\nbreak"], ["2", "x"]])
        #expect(Self.rows("1,a\\,b\n", format: format) == [["1", "a,b"]])
    }

    @Test func headerSkipAndTrim() {
        let format = CSVFormat(columnSeparator: [44], trimSpace: true, skipHeader: 1)
        #expect(Self.rows("id,name\n 1 , a \n", format: format) == [["1", "a"]])
    }

    /// Plain CSV (the vectorised delimiter search) against a naive split of the same bytes, for
    /// single- and multi-byte separators, fields longer than a 64-byte search block and random
    /// chunking (seeded).
    @Test(arguments: [(",", "\n"), ("|", "\n"), ("||", "<EOR>"), ("\u{1}", "\u{2}"), ("\t", "\r\n"), ("ab", "a\n")])
    func plainScanMatchesANaiveSplit(separator: String, delimiter: String) {
        var state: UInt64 = 0x5EED ^ UInt64(separator.utf8.count * 31 + delimiter.utf8.count)
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array("abcxyz019 -_.|<\r".utf8)
        let sep = Array(separator.utf8), delim = Array(delimiter.utf8)
        var bytes = [UInt8]()
        for _ in 0..<600 {
            for f in 0..<(1 + next(6)) {
                if f > 0 { bytes += sep }
                bytes += (0..<[0, 3, 13, 70, 150][next(5)]).map { _ in alphabet[next(alphabet.count)] }
            }
            bytes += delim
        }
        /// Leftmost non-overlapping split, like the scanner.
        func split(_ b: ArraySlice<UInt8>, _ pattern: [UInt8]) -> [ArraySlice<UInt8>] {
            var parts = [ArraySlice<UInt8>](), start = b.startIndex, i = b.startIndex
            while i + pattern.count <= b.endIndex {
                if b[i..<(i + pattern.count)].elementsEqual(pattern) {
                    parts.append(b[start..<i])
                    i += pattern.count
                    start = i
                } else {
                    i += 1
                }
            }
            parts.append(b[start...])
            return parts
        }
        let expected = split(bytes[...], delim).filter { !$0.isEmpty }.map { line in
            var fields = split(line, sep)
            if delim == [10], fields[fields.count - 1].last == 13 { fields[fields.count - 1].removeLast() }
            return fields.map { String(decoding: $0, as: UTF8.self) }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let format = CSVFormat(columnSeparator: sep, rowDelimiter: delim)
        let whole = Self.rows(text, format: format)
        #expect(whole.count == expected.count)
        #expect(whole == expected)
        for _ in 0..<5 {
            let splits = (0..<8).map { _ in next(bytes.count) }.sorted()
            #expect(Self.rows(text, format: format, splits: splits) == whole, "splits \(splits)")
        }
    }

    @Test func chunkBoundariesAnywhereGiveTheSameRows() {
        let text = "1,\"a,b\",x\r\n22,\"c\"\"d\",\r\n333,e,\"multi\nline\"\n4,f,g"
        let format = CSVFormat(columnSeparator: [44], enclose: 34)
        let whole = Self.rows(text, format: format)
        #expect(whole.count == 4)
        for split in 0...text.utf8.count {
            #expect(Self.rows(text, format: format, splits: [split]) == whole, "split at \(split)")
        }
        for a in stride(from: 0, through: text.utf8.count, by: 3) {
            #expect(Self.rows(text, format: format, splits: [a, min(text.utf8.count, a + 2)]) == whole)
        }
    }

    /// Found by FuzzCSV: an escape as the last byte of a chunk escapes the next chunk's first
    /// byte (here the row delimiter), for single- and multi-byte delimiters.
    @Test(arguments: [[UInt8(10)], [13, 10], [124, 124]])
    func anEscapeAtAChunkBoundaryStillEscapes(delimiter: [UInt8]) {
        let d = String(decoding: delimiter, as: UTF8.self)
        let text = "a\\\(d)b,c\(d)\"x\(d)y\",z\(d)e\\,f\(d)"
        let format = CSVFormat(columnSeparator: [44], rowDelimiter: delimiter, enclose: 34, escape: 92)
        let whole = Self.rows(text, format: format)
        #expect(whole.count == 3, "\(whole)")
        for split in 0...text.utf8.count {
            #expect(Self.rows(text, format: format, splits: [split]) == whole, "split at \(split)")
        }
    }
}

@Suite struct ParallelCSVScanTests {
    final class Collector: Sendable {
        let rows = Mutex<[String]>([])
    }

    @Test func parallelScanningFindsTheSameRowsAtAnyChunking() throws {
        let text = (0..<60_000).map { "\($0),name\($0 % 97),\($0 * 3)\n" }.joined()
        let bytes = Array(text.utf8)
        let expected = text.split(separator: "\n").map(String.init).sorted()
        for chunkSize in [300_000, 777_777, bytes.count] {
            var scanner = CSVScanner(format: CSVFormat(columnSeparator: [44]))
            #expect(scanner.canScanInParallel)
            let collector = Collector()
            let emit: @Sendable (Int, UnsafeRawBufferPointer, CSVRows) throws -> Void = { _, buffer, rows in
                var found = [String]()
                for r in 0..<rows.count {
                    found.append(
                        (rows.rowFields[r]..<rows.rowFields[r + 1]).map { f in
                            String(decoding: buffer[rows.fieldStarts[f]..<rows.fieldEnds[f]], as: UTF8.self)
                        }.joined(separator: ","))
                }
                collector.rows.withLock { $0.append(contentsOf: found) }
            }
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + chunkSize)
                try bytes[start..<end].withUnsafeBytes { try scanner.consumeInParallel($0, emit: emit) }
                start = end
            }
            try scanner.finish { try emit(0, $0, $1) }
            #expect(collector.rows.withLock { $0 }.sorted() == expected, "chunk size \(chunkSize)")
        }
    }
}
