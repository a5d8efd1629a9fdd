import SluiceExpr
import SluiceFormat
import Testing

func evaluate(_ sql: String, batch: [ColumnVector] = [], names: [String] = [], rows: Int = 1) throws -> [String?] {
    let resolver = NameResolver(names: names, types: batch.map(\.type))
    let bound = try ExprBinder(resolver: resolver).bind(try ExprParser.parse(sql))
    let context = EvaluationContext(timeZone: SessionTimeZone("UTC")!, nowMicros: 1_700_000_000_000_000)
    let result = try Evaluator.evaluate(bound, batch: batch, rows: rows, context: context)
    return (0..<rows).map { result.value(at: $0).text(as: result.type) }
}

@Suite struct ExpressionTests {
    @Test(
        arguments: [
            ("0.1 + 0.2 = 0.3", "1"),
            ("0.1 + 0.2", "0.3"),
            ("1 + 2 * 3", "7"),
            ("7 / 2", "3.5"),
            ("7 DIV 2", "3"),
            ("7 % 3", "1"),
            ("1.50 * 2", "3.00"),
            ("10 / 0", nil),
            ("-(3)", "-3"),
            ("'abc' LIKE 'a%'", "1"),
            ("'abc' LIKE '_b_'", "1"),
            ("'abc' NOT LIKE 'b%'", "1"),
            ("3 BETWEEN 1 AND 5", "1"),
            ("3 IN (1, 2, 3)", "1"),
            ("4 NOT IN (1, 2, 3)", "1"),
            ("NULL IS NULL", "1"),
            ("NULL = 1", nil),
            ("NULL AND FALSE", "0"),
            ("NULL OR TRUE", "1"),
            ("CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END", "b"),
            ("CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "two"),
            ("if(1 < 2, 'yes', 'no')", "yes"),
            ("ifnull(NULL, 5)", "5"),
            ("coalesce(NULL, NULL, 'x')", "x"),
            ("concat('a', 'b', 'c')", "abc"),
            ("substr('hello', 2, 3)", "ell"),
            ("upper('abc')", "ABC"),
            ("lower('ABC')", "abc"),
            ("trim('  x  ')", "x"),
            ("replace('a-b-c', '-', '+')", "a+b+c"),
            ("length('héllo')", "6"),
            ("split_part('a,b,c', ',', 2)", "b"),
            ("abs(-5)", "5"),
            ("round(2.567, 2)", "2.57"),
            ("floor(2.7)", "2"),
            ("ceil(2.1)", "3"),
            ("year('2024-03-15 10:20:30')", "2024"),
            ("month(CAST('2024-03-15' AS DATE))", "3"),
            ("day('2024-03-15')", "15"),
            ("hour('2024-03-15 10:20:30')", "10"),
            ("minute('2024-03-15 10:20:30')", "20"),
            ("second('2024-03-15 10:20:30')", "30"),
            ("date_trunc('month', '2024-03-15 10:20:30')", "2024-03-01 00:00:00"),
            ("date_format('2024-03-15 10:20:30', '%Y/%m/%d %H:%i')", "2024/03/15 10:20"),
            ("str_to_date('15/03/2024', '%d/%m/%Y')", "2024-03-15 00:00:00"),
            ("from_unixtime(0)", "1970-01-01 00:00:00"),
            ("unix_timestamp('1970-01-02 00:00:00')", "86400"),
            ("CAST('12' AS INT) + 1", "13"),
            ("CAST('abc' AS INT)", nil),
            ("CAST(3.9 AS INT)", "3"),
            ("CAST(TRUE AS INT)", "1"),
            ("'a\\tb'", "a\tb"),
            ("\"double quoted\"", "double quoted"),
        ] as [(String, String?)])
    func evaluatesScalars(sql: String, expected: String?) throws {
        #expect(try evaluate(sql) == [expected], "\(sql)")
    }

    @Test func evaluatesOverColumns() throws {
        let batch = [
            ColumnVector(type: .int, ints: [1, 2, 3]),
            ColumnVector(type: .decimal(precision: 10, scale: 2), wides: [150, 250, 0], nulls: [0, 0, 1]),
        ]
        #expect(try evaluate("a * 2 + 1", batch: batch, names: ["a", "b"], rows: 3) == ["3", "5", "7"])
        #expect(try evaluate("b + a", batch: batch, names: ["a", "b"], rows: 3) == ["2.50", "4.50", nil])
        #expect(try evaluate("a > 1 AND b IS NOT NULL", batch: batch, names: ["a", "b"], rows: 3) == ["0", "1", "0"])
    }

    @Test func reportsUnknownColumnsAndFunctions() {
        #expect(throws: ExprError.self) { try evaluate("nope + 1") }
        #expect(throws: ExprError.self) { try evaluate("frobnicate(1)") }
        #expect(throws: ExprError.self) { try evaluate("1 +") }
    }
}
