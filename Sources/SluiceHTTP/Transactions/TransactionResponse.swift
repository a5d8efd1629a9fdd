import SluiceLoad

/// Renders ``TransactionAnswer``s as StarRocks does (spec §2.4): BE answers 4-space indented with
/// a fixed key order, FE answers 2-space indented with `Label`, `Status`, `TxnId`, `Message`.
enum TransactionResponse {
    static func render(_ answer: TransactionAnswer, errorURL: String?) -> String {
        var fields = [(String, String)]()
        switch answer.producer {
        case .frontend:
            if let label = answer.label { fields.append(("Label", JSONText.string(label))) }
            fields.append(("Status", JSONText.string(answer.status.rawValue)))
            if let id = answer.transactionID { fields.append(("TxnId", String(id))) }
            fields.append(("Message", JSONText.string(answer.message)))
            return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
        case .backend:
            fields.append(("Status", JSONText.string(answer.status.rawValue)))
            if answer.status == .labelAlreadyExists {
                fields.append(("ExistingJobStatus", JSONText.string(answer.existingJobStatus ?? "")))
            } else if answer.status == .inProcessing, let label = answer.label {
                fields.append(("Label", JSONText.string(label)))
            }
            fields.append(("Message", JSONText.string(answer.message)))
            if answer.status == .ok { fields += okFields(answer) }
            if let errorURL { fields.append(("ErrorURL", JSONText.string(errorURL))) }
            return "{\n" + fields.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
        }
    }

    private static func okFields(_ answer: TransactionAnswer) -> [(String, String)] {
        let label = ("Label", JSONText.string(answer.label ?? ""))
        let id = ("TxnId", String(answer.transactionID ?? -1))
        switch answer.operation {
        case .begin:
            return [label, id, ("BeginTxnTimeMs", String(answer.beginMilliseconds))]
        case .load:
            return [
                label, id, ("LoadBytes", String(answer.requestBytes)),
                ("StreamLoadPlanTimeMs", String(answer.planMilliseconds)),
                ("ReceivedDataTimeMs", String(answer.receiveMilliseconds)),
            ]
        case .prepare, .commit:
            let r = answer.result
            let c = r?.counters ?? LoadCounters()
            return [
                label, id,
                ("NumberTotalRows", String(c.totalRows)), ("NumberLoadedRows", String(c.loadedRows)),
                ("NumberFilteredRows", String(c.filteredRows)), ("NumberUnselectedRows", String(c.unselectedRows)),
                ("LoadBytes", String(c.receivedBytes)), ("LoadTimeMs", String(r?.totalMilliseconds ?? 0)),
                ("StreamLoadPlanTimeMs", String(r?.planMilliseconds ?? 0)),
                ("ReceivedDataTimeMs", String(r?.readMilliseconds ?? 0)),
                ("WriteDataTimeMs", String(r?.writeMilliseconds ?? 0)),
                ("CommitAndPublishTimeMs", String(r?.commitMilliseconds ?? 0)),
            ]
        case .rollback:
            return [label]
        }
    }
}
