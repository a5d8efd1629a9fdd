import SluiceLoad

/// Renders ``TransactionOutcome``s as StarRocks does (spec §2.4). In StarRocks some answers come
/// from the BE (4-space indented, fixed key order) and some from the FE (`TransactionResult`,
/// 2-space indented: `Label`, `Status`, `TxnId`, `Message`); which one, and the `Status` word, follow
/// from the outcome's code.
enum TransactionResponse {
    /// Which StarRocks role answers.
    enum Producer {
        case backend, frontend
    }

    /// The `Status` word clients compare, and who says it.
    static func wire(_ code: TransactionOutcome.Code) -> (status: String, producer: Producer) {
        switch code {
        case .ok: ("OK", .backend)
        case .settled: ("OK", .frontend)
        case .labelAlreadyExists: ("LABEL_ALREADY_EXISTS", .backend)
        case .inProcessing: ("TXN_IN_PROCESSING", .backend)
        case .notOpen: ("TXN_NOT_EXISTS", .backend)
        case .notFound, .refused, .rejected: ("FAILED", .frontend)
        case .invalidArgument: ("INVALID_ARGUMENT", .backend)
        case .analysisError: ("ANALYSIS_ERROR", .backend)
        case .loadFailed: ("INTERNAL_ERROR", .backend)
        case .busy: ("FAILED", .backend)
        case .sourceRangeConflict: ("SOURCE_RANGE_CONFLICT", .backend)
        case .sourceGap: ("SOURCE_GAP", .backend)
        }
    }

    static func render(_ outcome: TransactionOutcome, errorURL: String?) -> String {
        var fields = [(String, String)]()
        let (status, producer) = wire(outcome.code)
        switch producer {
        case .frontend:
            if let label = outcome.label { fields.append(("Label", JSONText.string(label))) }
            fields.append(("Status", JSONText.string(status)))
            if let id = outcome.transactionID { fields.append(("TxnId", String(id))) }
            fields.append(("Message", JSONText.string(outcome.message)))
            return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
        case .backend:
            fields.append(("Status", JSONText.string(status)))
            if outcome.code == .labelAlreadyExists {
                fields.append(("ExistingJobStatus", JSONText.string(outcome.existingJobStatus ?? "")))
            } else if outcome.code == .inProcessing, let label = outcome.label {
                fields.append(("Label", JSONText.string(label)))
            }
            fields.append(("Message", JSONText.string(outcome.message)))
            if outcome.code == .ok { fields += okFields(outcome) }
            if let errorURL { fields.append(("ErrorURL", JSONText.string(errorURL))) }
            return "{\n" + fields.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
        }
    }

    private static func okFields(_ outcome: TransactionOutcome) -> [(String, String)] {
        let label = ("Label", JSONText.string(outcome.label ?? ""))
        let id = ("TxnId", String(outcome.transactionID ?? -1))
        switch outcome.operation {
        case .begin:
            return [label, id, ("BeginTxnTimeMs", String(outcome.beginMilliseconds))]
        case .load:
            return [
                label, id, ("LoadBytes", String(outcome.requestBytes)),
                ("StreamLoadPlanTimeMs", String(outcome.planMilliseconds)),
                ("ReceivedDataTimeMs", String(outcome.receiveMilliseconds)),
            ]
        case .prepare, .commit:
            let r = outcome.result
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
