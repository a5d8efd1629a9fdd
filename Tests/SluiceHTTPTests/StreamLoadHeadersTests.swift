import HTTPTypes
import SluiceLoad
import Testing

@testable import SluiceHTTP

/// Stream Load header parsing and the result body, without a server.
@Suite struct StreamLoadHeadersTests {
    static let limits = StreamLoadHeaders.Limits(streamingLoadMaxBytes: 1 << 30, defaultMemoryLimit: 48 << 20)

    static func configure(_ headers: [String: String]) -> Result<LoadOptions, LoadError> {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        var options = LoadOptions()
        do {
            try StreamLoadHeaders(fields: fields).configure(&options, limits: limits)
            return .success(options)
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: ["NaN", "abc", "-0.1", "1.01", "inf", ""])
    func maxFilterRatioMustBeANumberFromZeroToOne(_ text: String) {
        guard case .failure(let error) = Self.configure(["max_filter_ratio": text]) else {
            Issue.record("max_filter_ratio '\(text)' was accepted")
            return
        }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("max_filter_ratio"))
    }

    @Test func validRatiosAreKept() throws {
        for (text, ratio) in [("0", 0.0), ("0.25", 0.25), (" 1 ", 1.0)] {
            #expect(try Self.configure(["max_filter_ratio": text]).get().maxFilterRatio == ratio)
        }
    }

    @Test func aFailedLoadReportsNoLoadedRowsUnlessDataQualityFailedIt() {
        var result = LoadResult(label: "l", status: .fail, message: "No space left on device")
        result.counters.totalRows = 10
        result.errorCode = .storage
        #expect(StreamLoadResponse.render(result, errorURL: nil).contains("\"NumberLoadedRows\": 0,"))
        result.errorCode = .tooManyFilteredRows
        result.counters.filteredRows = 4
        #expect(StreamLoadResponse.render(result, errorURL: nil).contains("\"NumberLoadedRows\": 6,"))
    }
}
