import SluiceLoad

/// The Stream Load result body: 4-space pretty JSON, keys in StarRocks' order (spec §1.4).
enum StreamLoadResponse {
    /// StarRocks' `Status` word for a load's status (what clients compare).
    static func status(_ status: LoadResult.Status) -> String {
        switch status {
        case .success: "Success"
        case .labelAlreadyExists: "Label Already Exists"
        case .fail: "Fail"
        }
    }

    /// - Parameter host: the host name (no port) for `RejectedRecordPath` (`<host>:<path>`).
    static func render(_ result: LoadResult, errorURL: String?, host: String = "127.0.0.1") -> String {
        var fields: [(String, String)] = [
            ("TxnId", String(result.transactionID)),
            ("Label", JSONText.string(result.label)),
        ]
        fields.append(("Status", JSONText.string(Self.status(result.status))))
        if case .labelAlreadyExists(let existing) = result.status {
            fields.append(("ExistingJobStatus", JSONText.string(existing)))
        }
        let c = result.counters
        fields += [
            ("Message", JSONText.string(result.message)),
            ("NumberTotalRows", String(c.totalRows)),
            ("NumberLoadedRows", String(result.loadedRows)),
            ("NumberFilteredRows", String(c.filteredRows)),
            ("NumberUnselectedRows", String(c.unselectedRows)),
            ("LoadBytes", String(c.receivedBytes)),
            ("LoadTimeMs", String(result.totalMilliseconds)),
            ("BeginTxnTimeMs", String(result.beginMilliseconds)),
            ("StreamLoadPlanTimeMs", String(result.planMilliseconds)),
            ("ReadDataTimeMs", String(result.readMilliseconds)),
            ("WriteDataTimeMs", String(result.writeMilliseconds)),
            ("CommitAndPublishTimeMs", String(result.commitMilliseconds)),
        ]
        if let errorURL { fields.append(("ErrorURL", JSONText.string(errorURL))) }
        if let path = result.rejectedRecordPath {
            fields.append(("RejectedRecordPath", JSONText.string("\(host):\(path)")))
        }
        return "{\n" + fields.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }
}
