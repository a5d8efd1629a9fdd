/// Running totals over the loads of this process, for `/metrics`. Counters only grow.
package struct LoadStatistics: Sendable, Hashable {
    /// Stream Load answers by their `Status` string.
    package var answers: [String: Int] = [:]
    /// Rows and bytes of loads whose data was written (committed, or prepared for 2PC).
    package var loadedRows = 0
    package var filteredRows = 0
    package var unselectedRows = 0
    package var receivedBytes = 0
    /// Loads whose data was written.
    package var writtenLoads = 0

    package init() {}

    mutating func addWritten(_ counters: LoadCounters) {
        writtenLoads += 1
        loadedRows += counters.loadedRows
        filteredRows += counters.filteredRows
        unselectedRows += counters.unselectedRows
        receivedBytes += counters.receivedBytes
    }
}
