import Foundation

/// Row and byte counters of one load (the `Number…Rows` fields of a Stream Load result).
package struct LoadCounters: Sendable, Hashable {
    /// Rows read: loaded + filtered + unselected.
    package var totalRows = 0
    /// Rows rejected for data quality.
    package var filteredRows = 0
    /// Rows dropped by `where`.
    package var unselectedRows = 0
    /// Bytes received from the client.
    package var receivedBytes = 0

    package init() {}

    package var loadedRows: Int { totalRows - filteredRows - unselectedRows }

    /// The counters of two loads (or two tables of one) together.
    package static func + (a: LoadCounters, b: LoadCounters) -> LoadCounters {
        var sum = a
        sum.totalRows += b.totalRows
        sum.filteredRows += b.filteredRows
        sum.unselectedRows += b.unselectedRows
        sum.receivedBytes += b.receivedBytes
        return sum
    }

    /// StarRocks' rule: fail when filtered / (total − unselected) exceeds the ratio.
    package func exceeds(maxFilterRatio: Double) -> Bool {
        let considered = totalRows - unselectedRows
        guard considered > 0, filteredRows > 0 else { return false }
        return Double(filteredRows) / Double(considered) > maxFilterRatio
    }

    /// The `too many filtered rows` message with the counts and the ratio that decided it, e.g.
    /// `too many filtered rows: 2 of 4 rows filtered, ratio 0.5 > max_filter_ratio 0`. The words
    /// before the colon stay StarRocks' (clients match them); rows a `where` dropped are named
    /// when there are any, since they do not count toward the ratio.
    package func tooManyFilteredRowsMessage(maxFilterRatio: Double) -> String {
        let considered = totalRows - unselectedRows
        let ratio = considered > 0 ? Double(filteredRows) / Double(considered) : 0
        let unselected = unselectedRows > 0 ? " (\(unselectedRows) unselected by where)" : ""
        return "too many filtered rows: \(filteredRows) of \(considered) rows filtered\(unselected), "
            + "ratio \(Self.decimal(ratio)) > max_filter_ratio \(Self.decimal(maxFilterRatio))"
    }

    /// Up to four decimals, trailing zeros dropped: `0.5`, `0.3333`, `0`.
    private static func decimal(_ value: Double) -> String {
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
