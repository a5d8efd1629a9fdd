/// Row and byte counters of one load (the `Number…Rows` fields of a Stream Load result).
public struct LoadCounters: Sendable, Hashable {
    /// Rows read: loaded + filtered + unselected.
    public var totalRows = 0
    /// Rows rejected for data quality.
    public var filteredRows = 0
    /// Rows dropped by `where`.
    public var unselectedRows = 0
    /// Bytes received from the client.
    public var receivedBytes = 0

    public init() {}

    public var loadedRows: Int { totalRows - filteredRows - unselectedRows }

    /// StarRocks' rule: fail when filtered / (total − unselected) exceeds the ratio.
    public func exceeds(maxFilterRatio: Double) -> Bool {
        let considered = totalRows - unselectedRows
        guard considered > 0, filteredRows > 0 else { return false }
        return Double(filteredRows) / Double(considered) > maxFilterRatio
    }
}
