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
            let emit: @Sendable (UnsafeRawBufferPointer, CSVRows) throws -> Void = { buffer, rows in
                var found = [String]()
                for r in 0..<rows.count {
                    found.append((rows.rowFields[r]..<rows.rowFields[r + 1]).map { f in
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
            try scanner.finish(emit: emit)
            #expect(collector.rows.withLock { $0 }.sorted() == expected, "chunk size \(chunkSize)")
        }
    }
}
