import Logging
import SluiceStorage

/// Where assigned partitions start (the sink's progress, lingering batches settled first) and
/// what assignment changes do to the batch in flight. Rebalance callbacks run on the job's
/// thread, inside the consumer's poll or close.
extension RemoteJob {
    /// Retries the sink's progress for partitions assigned while it did not answer.
    func seedPending(_ source: any GroupMessageSource) {
        guard !unseeded.isEmpty, ContinuousClock.now >= nextSeedAttempt else { return }
        let partitions = Array(unseeded).sorted()
        guard let starts = startsOrNote(partitions) else {
            nextSeedAttempt = .now + seedBackoff.next()
            return
        }
        seedBackoff.reset()
        do {
            try source.seed(starts)
            unseeded.subtract(partitions)
            positions.merge(starts) { $1 }
            builder = nil
            update { status in for (partition, next) in starts { status.owned[partition] = next } }
        } catch {
            logger.warning("cannot seed partitions", metadata: ["error": "\(error)"])
        }
    }

    /// Where `partitions` start: the sink's next offset, else the job's default (first commit).
    /// Lingering PREPARED batches touching them are adopted or rolled back first.
    func starts(of partitions: [Int32]) throws -> [Int32: Int64] {
        var progress = try writer.nextOffsets(of: partitions)
        // Tier 1 lists lingering batches with their offsets; the standard tier meets them at
        // `begin` (a held chain label is rolled back there).
        if writer.sink.fencesSourceBatches, try settleLingering(partitions, progress) {
            progress = try writer.nextOffsets(of: partitions)
        }
        var starts = [Int32: Int64]()
        for partition in partitions {
            if let next = progress[partition] {
                starts[partition] = next
            } else {
                starts[partition] = try defaultStart(partition)
            }
        }
        return starts
    }

    /// ``starts(of:)``, or nil with the reason in the status and the log (the sink is down, or
    /// refuses the progress read — e.g. a standard-API table without the progress columns).
    func startsOrNote(_ partitions: [Int32]) -> [Int32: Int64]? {
        do {
            return try starts(of: partitions)
        } catch {
            update { $0.lastError = "cannot read where partitions \(partitions) start: \(error)" }
            logger.warning(
                "cannot read the sink's progress; retrying",
                metadata: ["partitions": "\(partitions)", "error": "\(error)"])
            return nil
        }
    }

    func defaultStart(_ partition: Int32) throws -> Int64 {
        let offsets = definition.properties.partitions.map {
            Dictionary(uniqueKeysWithValues: zip($0, definition.properties.offsets ?? []))
        }
        let start = offsets?[partition] ?? definition.properties.defaultOffset
        switch start {
        case .offset(let offset): return offset
        case .beginning: return try source?.watermarks(partition: partition).low ?? 0
        case .end: return try source?.watermarks(partition: partition).high ?? 0
        }
    }

    /// PREPARED batches of the job that touch `partitions`: committed when every range starts
    /// at the sink's next offset (the fence still checks), else rolled back.
    /// - Returns: whether one was committed (progress moved).
    func settleLingering(_ partitions: [Int32], _ progress: [Int32: Int64]) throws -> Bool {
        let mine = Set(partitions)
        var adopted = false
        for transaction in try writer.sink.transactions(
            database: definition.database, labelPrefix: definition.remoteLabelPrefix)
        where transaction.state == .prepared {
            guard let ranges = transaction.ranges, !mine.isDisjoint(with: ranges.keys) else { continue }
            let continues = ranges.allSatisfy { partition, range in
                progress[partition].map { $0 == range.first } ?? true
            }
            if continues,
                (try? writer.sink.commit(database: definition.database, label: transaction.label))?.status == .ok
            {
                adopted = true
                update { $0.adoptedLingering += 1 }
                logger.info("adopted a lingering batch", metadata: ["label": "\(transaction.label)"])
            } else {
                _ = try? writer.sink.rollback(database: definition.database, label: transaction.label)
                update { $0.abortedLingering += 1 }
                logger.info("rolled back a lingering batch", metadata: ["label": "\(transaction.label)"])
            }
        }
        return adopted
    }

    // MARK: Rebalances (on the job's thread, inside poll/close)

    package func assigned(_ partitions: [Int32]) -> [Int32: Int64] {
        // The batch in flight covers only the partitions owned before: commit it first.
        flush(deadline: ContinuousClock.now + settings.revokeCommitDeadline)
        builder = nil
        groupChanged = true
        update {
            $0.rebalances[.assigned, default: 0] += 1
            $0.memberID = source?.memberID ?? ""
        }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions)"])
        guard let starts = startsOrNote(partitions) else {
            unseeded.formUnion(partitions)
            update { status in for partition in partitions { status.owned[partition] = .some(nil) } }
            return [:]
        }
        positions.merge(starts) { $1 }
        update { status in for (partition, next) in starts { status.owned[partition] = next } }
        return starts
    }

    package func revoked(_ partitions: [Int32], lost: Bool) {
        let inFlight = (builder?.rows ?? 0) > 0
        if lost {
            // No handover: nothing may be committed; what was read past the positions is dropped.
            builder = nil
            needsReseek = true
            update {
                $0.rebalances[.lost, default: 0] += 1
                if inFlight { $0.revokes[.rolledBack, default: 0] += 1 }
            }
        } else {
            let committed = flush(deadline: ContinuousClock.now + settings.revokeCommitDeadline)
            update {
                $0.rebalances[.revoked, default: 0] += 1
                $0.revokes[inFlight ? (committed ? .committed : .rolledBack) : .empty, default: 0] += 1
            }
        }
        groupChanged = true
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions)", "lost": "\(lost)"])
        for partition in partitions { positions[partition] = nil }
        unseeded.subtract(partitions)
        builder = nil
        update { status in for partition in partitions { status.owned[partition] = nil } }
    }
}
