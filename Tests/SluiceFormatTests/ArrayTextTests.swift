import SluiceFormat
import Testing

/// ARRAY<T> values: checked element by element against the element type and kept canonically.
@Suite struct ArrayTextTests {
    static func canonical(_ text: String, _ element: ColumnType) -> Result<String, ValueParser.Failure> {
        var copy = text
        return copy.withUTF8 { ArrayText.canonical($0, element: element) }.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func elementsAreConvertedAndWrittenCanonically() throws {
        #expect(try Self.canonical(" [1, 2 ,3] ", .int).get() == "[1,2,3]")
        #expect(try Self.canonical("[]", .int).get() == "[]")
        #expect(try Self.canonical("[1, null]", .bigint).get() == "[1,null]")
        #expect(
            try Self.canonical(#"["a", "b\"c", null, "\u00e9"]"#, .varchar(length: 5)).get()
                == #"["a","b\"c",null,"é"]"#)
        #expect(try Self.canonical("[1.50, 2]", .decimal(precision: 5, scale: 1)).get() == "[1.5,2.0]")
        #expect(try Self.canonical(#"["2024-01-01", "2024-1-2"]"#, .date).get() == #"["2024-01-01","2024-01-02"]"#)
        #expect(try Self.canonical("[[1], [2, 3], null, []]", .array(.int)).get() == "[[1],[2,3],null,[]]")
        #expect(try Self.canonical("[true, 0]", .boolean).get() == "[1,0]")
    }

    @Test func whatIsNotAnArrayOfTheTypeFails() {
        #expect(Self.canonical("[1, x]", .int) == .failure(.invalid))
        #expect(Self.canonical("[1, 2", .int) == .failure(.invalid))
        #expect(Self.canonical("1, 2", .int) == .failure(.invalid))
        #expect(Self.canonical("[1] x", .int) == .failure(.invalid))
        #expect(Self.canonical("[99999999999]", .int) == .failure(.outOfRange))
        #expect(Self.canonical(#"["abcdef"]"#, .varchar(length: 3)) == .failure(.tooLong))
        #expect(Self.canonical("[1]", .array(.int)) == .failure(.invalid))
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        var type = ColumnType.int
        for _ in 0..<39 { type = .array(type) }
        #expect(Self.canonical(deep, type) == .failure(.invalid))
    }
}
