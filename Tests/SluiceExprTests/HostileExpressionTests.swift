import Dispatch
import SluiceExpr
import SluiceFormat
import Testing

/// Regressions for the hostile-input probe (issue 11): arithmetic that used to trap and
/// expressions deep enough to overflow the stack now give NULL or a clear error.
@Suite struct HostileExpressionTests {
    /// Runs `body` on a Dispatch worker thread: the smallest stacks the server uses.
    static func onWorkerThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    static func outcome(_ sql: String) -> Result<[String?], ExprError> {
        do {
            return .success(try evaluate(sql))
        } catch let error as ExprError {
            return .failure(error)
        } catch {
            return .failure(ExprError(.evaluation, "\(error)"))
        }
    }

    @Test(
        arguments: [
            // D2: 39 digits do not fit any DECIMAL: NULL, never a trap.
            ("CAST('999999999999999999999999999999999999999' AS DECIMAL(10,2))", nil),
            ("CAST('999999999999999999999999999999999999999' AS DECIMAL(38,2))", nil),
            ("CAST('-999999999999999999999999999999999999999.99' AS DECIMAL(38,0))", nil),
            (
                "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0))",
                "99999999999999999999999999999999999999"
            ),
            ("CAST('1e-9223372036854775808' AS DECIMAL(10,2))", nil),
            ("CAST('9.99999999999999999999999999999999999999e37' AS DECIMAL(38,0))", nil),
            // D3: positions at the ends of BIGINT.
            ("right('abc', -9223372036854775807-1)", ""),
            ("right('abc', 9223372036854775807)", "abc"),
            ("left('abc', 9223372036854775807)", "abc"),
            ("substr('abc', 2, 9223372036854775807)", "bc"),
            ("substr('abc', -9223372036854775807-1, 2)", ""),
            ("substr('abc', 9223372036854775807)", ""),
            ("split_part('a,b', ',', -9223372036854775807-1)", nil),
            // D4: results outside BIGINT are NULL.
            ("floor(1e308)", nil),
            ("ceil(-1e308)", nil),
            ("floor(-2.5e0)", "-3"),
            ("round(1.5e0, -9223372036854775807-1)", "0"),
            ("round(1.25e0, 9223372036854775807)", "1.25"),
            // Neighbours: integer and decimal edge arithmetic.
            ("abs(-9223372036854775807-1)", "-9223372036854775808"),
            ("(-9223372036854775807-1) DIV -1", nil),
            ("(-9223372036854775807-1) % -1", nil),
            ("99999999999999999999999999999999999999 / 0.0000000001", nil),
            ("-(-9223372036854775807-1)", "-9223372036854775808"),
            // Found by FuzzExpression: a divisor with a large scale shifted past 10^38.
            ("222/0.291111111159111111111111111111111-8", nil),
            ("0/0.291111111159111111111111111111111", "0.000000"),
        ] as [(String, String?)])
    func checkedArithmetic(_ sql: String, _ expected: String?) throws {
        #expect(try evaluate(sql) == [expected], "\(sql)")
    }

    @Test func decimalParsingRejectsEveryOverlongInput() {
        for digits in 37...80 {
            let text = String(repeating: "9", count: digits)
            let value = DecimalArithmetic.parse(text, precision: 38, scale: 0)
            #expect((value != nil) == (digits <= 38), "\(digits) digits")
            #expect((DecimalArithmetic.parse(text + ".99", precision: 38, scale: 2) != nil) == (digits <= 36))
            #expect(DecimalArithmetic.parse("-" + text, precision: 38, scale: 0).map { -$0 } == value)
        }
    }

    /// D1: operator chains, nesting and lists past the limits fail with a clear error on the
    /// smallest stacks; within the limits they evaluate.
    @Test func depthAndSizeLimits() async {
        let cases: [(String, Bool)] = [
            (Array(repeating: "1", count: 10_000).joined(separator: "+"), false),
            (String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000), false),
            (String(repeating: "NOT ", count: 10_000) + "1", false),
            (String(repeating: "- ", count: 10_000) + "1", false),
            (Array(repeating: "1 = 1", count: 10_000).joined(separator: " AND "), false),
            (String(repeating: "abs(", count: 5_000) + "1" + String(repeating: ")", count: 5_000), false),
            (
                String(repeating: "CASE WHEN 1 THEN ", count: 5_000) + "1" + String(repeating: " END", count: 5_000),
                false
            ),
            (String(repeating: "CAST(", count: 5_000) + "1" + String(repeating: " AS BIGINT)", count: 5_000), false),
            ("1 IN (" + (0..<10_001).map(String.init).joined(separator: ",") + ")", false),
            (Array(repeating: "1", count: 200).joined(separator: "+"), true),
            (String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100), true),
            ("5 IN (" + (0..<10_000).map(String.init).joined(separator: ",") + ")", true),
        ]
        for (sql, succeeds) in cases {
            let result = await Self.onWorkerThread { Self.outcome(sql) }
            switch result {
            case .success:
                #expect(succeeds, "\(sql.prefix(40))… should have been refused")
            case .failure(let error):
                #expect(!succeeds, "\(sql.prefix(40))…: \(error)")
                #expect(error.code == .tooComplex, "\(sql.prefix(40))…: \(error)")
            }
        }
    }

    @Test func inListsUseAHashSet() throws {
        let values = (0..<9_999).map { Int64($0 * 3) }
        let column = ColumnVector(type: .bigint, ints: Array(0..<100_000).map { Int64($0) })
        let list = values.map(String.init).joined(separator: ",")
        let result = try evaluate("x IN (\(list))", batch: [column], names: ["x"], rows: 100_000)
        #expect(result.filter { $0 == "1" }.count == 9_999)
        let negated = try evaluate("x NOT IN (\(list), NULL)", batch: [column], names: ["x"], rows: 100_000)
        #expect(negated.filter { $0 == nil }.count == 90_001)
        #expect(negated.filter { $0 == "0" }.count == 9_999)
    }
}
