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

    /// StarRocks' rule: fail when filtered / (total − unselected) exceeds the ratio.
    package func exceeds(maxFilterRatio: Double) -> Bool {
        let considered = totalRows - unselectedRows
        guard considered > 0, filteredRows > 0 else { return false }
        return Double(filteredRows) / Double(considered) > maxFilterRatio
    }
}
