/// Running totals over the loads of this process, for `/metrics`. Counters only grow.
public struct LoadStatistics: Sendable, Hashable {
    /// Stream Load answers by their `Status` string.
    public var answers: [String: Int] = [:]
    /// Rows and bytes of loads whose data was written (committed, or prepared for 2PC).
    public var loadedRows = 0
    public var filteredRows = 0
    public var unselectedRows = 0
    public var receivedBytes = 0
    /// Loads whose data was written.
    public var writtenLoads = 0

    public init() {}

    mutating func addWritten(_ counters: LoadCounters) {
        writtenLoads += 1
        loadedRows += counters.loadedRows
        filteredRows += counters.filteredRows
        unselectedRows += counters.unselectedRows
        receivedBytes += counters.receivedBytes
    }
}
