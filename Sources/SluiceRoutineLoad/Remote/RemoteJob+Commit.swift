import Logging
import SluiceStorage

/// Committing the batch in flight, and resuming from the sink when it is refused.
extension RemoteJob {
    /// Commits the batch in flight; on failure it is dropped and its partitions re-read.
    /// - Returns: whether nothing of it is left uncommitted.
    @discardableResult
    func flush(deadline: ContinuousClock.Instant?) -> Bool {
        guard let batch = builder, batch.rows > 0, let source else {
            builder = nil
            return true
        }
        let owner = SourceOwner(daemon: settings.daemon, member: source.memberID)
        let perPartition = !writer.sink.fencesSourceBatches
        let pieces = RemoteBatchWriter.Batch(
            ranges: batch.ranges, timestamps: batch.timestamps, body: batch.body,
            startedAt: batch.firstTakenAt ?? .now, owner: owner, spans: perPartition ? batch.messageSpans : [],
            origins: perPartition ? batch.origins : [])
        var backoff = Backoff(minimum: settings.minBackoff, maximum: settings.maxBackoff)
        let writer = deadline.map { self.writer.bounded(by: $0) } ?? self.writer
        while true {
            let outcome = writer.write(pieces)
            if !writer.sink.fencesSourceBatches {
                update { $0.abortedLingering = writer.rolledBackLingering }
            }
            switch outcome {
            case .committed(let held):
                for (partition, range) in pieces.ranges where !held.contains(partition) {
                    positions[partition] = range.last + 1
                    gapRetries[partition] = nil
                }
                // Held partitions loaded no row: nothing recorded their offsets, read them again.
                if !held.isEmpty { needsReseek = true }
                builder = nil
                update { status in
                    status.committedBatches += 1
                    status.loadedRows += batch.rows
                    status.loadedBytes += batch.body.count
                    for (partition, next) in self.positions { status.owned[partition] = next }
                }
                return true
            case .conflict(let message):
                logger.notice("the sink fenced a batch; resuming from its progress", metadata: ["reason": "\(message)"])
                update { $0.fencingRejections += 1 }
                resumeFromSink()
                return false
            case .expired:
                logger.notice("a batch outlived max_batch_age; rebuilding it from the sink's progress")
                resumeFromSink()
                return false
            case .retry(let message), .failed(let message):
                update { $0.lastError = message }
                let pause = backoff.next()
                if isStopping && deadline == nil || deadline.map({ ContinuousClock.now + pause >= $0 }) == true {
                    builder = nil
                    needsReseek = true
                    return false
                }
                logger.warning("remote batch not committed; retrying", metadata: ["reason": "\(message)"])
                settings.wait(pause)
            }
        }
    }

    /// Reads the sink's progress for the owned partitions and reads from there on.
    func resumeFromSink() {
        builder = nil
        guard let progress = try? writer.nextOffsets(of: Array(positions.keys)) else {
            needsReseek = true
            return
        }
        for (partition, next) in progress where positions[partition] != nil { positions[partition] = next }
        needsReseek = true
        update { status in for (partition, next) in self.positions { status.owned[partition] = next } }
    }
}
