import SluiceFormat

extension RoutineLoadManager {
    /// SHOW ROUTINE LOAD's row of a remote-sink job on this daemon: the partitions it owns now
    /// with their next offsets and lag, its member id, the sink, and its counters (fencing
    /// rejections, adopted/aborted lingering batches, rebalances, revoke outcomes).
    func remoteRow(_ job: RemoteJob) -> [String?] {
        let d = job.definition
        let status = job.snapshot
        let owned = status.owned.keys.sorted()
        let p = d.properties
        let sourceProperties: [(String, String)] = [
            ("topic", p.topic), ("currentKafkaPartitions", owned.map(String.init).joined(separator: ",")),
            ("brokerList", p.brokerList), ("sink", job.settings.sinkName), ("consumerGroup", job.groupID),
            ("memberId", status.memberID), ("daemon", job.settings.daemon),
        ]
        var custom = p.clientProperties.sorted { $0.key < $1.key }.map { key, value in
            (key, key.contains("password") || key.contains("secret") ? "******" : value)
        }
        custom.append(("kafka_default_offsets", Self.offsetName(p.defaultOffset)))
        let statistic: [(String, Int64)] =
            [
                ("committedTaskNum", Int64(status.committedBatches)), ("loadedRows", Int64(status.loadedRows)),
                ("receivedBytes", Int64(status.loadedBytes)), ("fencingRejections", Int64(status.fencingRejections)),
                ("adoptedLingeringTxns", Int64(status.adoptedLingering)),
                ("abortedLingeringTxns", Int64(status.abortedLingering)),
                ("batchIntervalMs", Int64(status.batchIntervalMilliseconds)),
                ("groupMembers", Int64(status.groupMembers)),
            ]
            + RemoteJobStatus.Rebalance.allCases.map {
                ("rebalances_\($0.rawValue)", Int64(status.rebalances[$0] ?? 0))
            }
            + RemoteJobStatus.RevokeOutcome.allCases.map { ("revokes_\($0.rawValue)", Int64(status.revokes[$0] ?? 0)) }
        let progress = owned.map { partition -> (String, String) in
            guard let next = status.owned[partition] ?? nil else { return ("\(partition)", "UNKNOWN") }
            return ("\(partition)", next == 0 ? "OFFSET_ZERO" : "\(next - 1)")
        }
        let latest = status.highWatermarks.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }
        let lag = status.lag.sorted { $0.key < $1.key }.map { ("\($0.key)", $0.value) }
        var other =
            "remote sink \(job.settings.sinkName): daemon \(job.settings.daemon) owns partitions "
            + "[\(owned.map(String.init).joined(separator: ", "))] of group \(job.groupID)"
        if !status.lastError.isEmpty { other += "; last error: \(status.lastError)" }
        return [
            "\(JobDefinition.remoteJobID(database: d.database, name: d.name))", d.name,
            Self.formatTime(job.settings.startTime), nil, nil, d.database, d.table, status.state, "KAFKA",
            "\(owned.isEmpty ? 0 : 1)", JSONObject.strings(Self.jobProperties(d, taskCount: owned.isEmpty ? 0 : 1)),
            JSONObject.strings(sourceProperties), JSONObject.strings(custom), JSONObject.numbers(statistic),
            JSONObject.strings(progress), JSONObject.strings([]), "", "", "", other, JSONObject.strings(latest),
            JSONObject.numbers(lag),
        ]
    }
}
