import Dispatch
import Foundation
import SluiceIO
import Synchronization

/// Group commit: concurrent one-phase commits share one journal fsync.
///
/// Each commit joins a queue. The first to find no leader becomes it: under the engine lock it
/// validates and appends every queued commit's record (without syncing), syncs once, then
/// publishes them all — or, if the sync failed, none (the journal is cut back; nothing was
/// applied in memory yet). Then it hands leadership to the oldest commit that queued meanwhile
/// and wakes the members of its group. A lone commit is one append and one fsync, as before.
final class GroupCommit: Sendable {
    /// One commit waiting in the queue.
    final class Member: @unchecked Sendable {
        // @unchecked: `result` and `leads` are written by the leader before `wake` is signalled
        // and read by the member after it returns from waiting (the semaphore orders them).
        let commit: Commit
        var result: Result<CommitInfo, any Error>?
        var leads = false
        let wake = DispatchSemaphore(value: 0)

        init(_ commit: Commit) { self.commit = commit }
    }

    /// What a member does, in three steps under the writer lock.
    struct Commit: Sendable {
        /// Under the engine lock: validates against the published state and the group so far;
        /// returns the published table and rowsets to apply if the table merges on write.
        var check: @Sendable (GroupState, inout StorageEngine.Core) throws -> (TableMeta, [Int64: RowsetMeta])?
        /// Under the engine lock, after the merge-on-write apply (outside it): appends the record.
        var append: @Sendable (inout GroupState, inout StorageEngine.Core, MergeOnWriteApply?) throws -> CommitInfo
    }

    /// What the group has appended but not yet published: later members validate against it.
    struct GroupState {
        /// Versions taken per table by earlier members.
        var versions: [Int64: Int64] = [:]
        /// Labels taken by earlier members, per database.
        var labels: Set<String> = []
        /// Records to publish once the sync succeeds, in order.
        var records: [JournalRecord] = []

        static func labelKey(_ databaseID: Int64, _ label: String) -> String { "\(databaseID)/\(label)" }
    }

    private struct Queue {
        var waiting: [Member] = []
        var leading = false
    }

    private let queue = Mutex(Queue())

    /// Runs `work` as part of a group and returns its outcome once the group is durable.
    func run(in engine: StorageEngine, _ commit: Commit) throws -> CommitInfo {
        let member = Member(commit)
        guard engine.options.groupCommit else {
            engine.commitGroup([member])
            return try member.result!.get()
        }
        let leadsNow = queue.withLock { q in
            q.waiting.append(member)
            if q.leading { return false }
            q.leading = true
            return true
        }
        if !leadsNow {
            member.wake.wait()
            guard member.leads else { return try member.result!.get() }
        }
        lead(in: engine, leader: member)
        return try member.result!.get()
    }

    /// Commits everything queued (the leader included), then passes leadership on.
    private func lead(in engine: StorageEngine, leader: Member) {
        let group = queue.withLock { q in
            defer { q.waiting.removeAll() }
            return q.waiting
        }
        engine.commitGroup(group)
        let next = queue.withLock { q -> Member? in
            guard let first = q.waiting.first else {
                q.leading = false
                return nil
            }
            return first
        }
        for member in group where member !== leader { member.wake.signal() }
        if let next {
            next.leads = true
            next.wake.signal()
        }
    }
}

extension StorageEngine {
    /// One group of commits: validate, apply to primary indexes (merge-on-write tables) and append
    /// each, sync the journal once with only the writer lock held (readers go on), then publish all
    /// under the lock. Index changes of commits that end up unpublished are invalidated.
    func commitGroup(_ group: [GroupCommit.Member]) {
        writes.lock()
        defer { writes.unlock() }
        var state = GroupCommit.GroupState()
        var appended = [(GroupCommit.Member, MergeOnWriteApply?, CommitInfo)]()
        var touched = Set<Int64>()
        var indexesSuspect = false
        for member in group {
            do {
                let mergeOnWrite = try core.withLock { core in
                    guard !core.closed else { throw StorageError(.closed, "storage engine is closed") }
                    return try member.commit.check(state, &core)
                }
                var applied: MergeOnWriteApply?
                if let (table, rowsets) = mergeOnWrite {
                    guard !indexesSuspect else {
                        throw StorageError(.io, "an earlier commit of the same group failed; retry the commit")
                    }
                    var mine = Set<Int64>()
                    do {
                        applied = try applyMergeOnWrite(table: table, rowsets: rowsets, touched: &mine)
                    } catch {
                        invalidateIndexes(mine.union(touched))
                        indexesSuspect = true
                        throw error
                    }
                    touched.formUnion(mine)
                }
                do {
                    appended.append(
                        (
                            member, applied,
                            try core.withLock { core in try member.commit.append(&state, &core, applied) }
                        ))
                } catch {
                    if let applied {
                        // Later members would build on this one's index changes: fail them too.
                        discardWritten(applied)
                        invalidateIndexes(touched)
                        indexesSuspect = true
                    }
                    throw error
                }
            } catch {
                member.result = .failure(error)
            }
        }
        guard !appended.isEmpty else { return }
        // Only journal writers touch the journal, and they are held off by `writes`.
        let journal = core.withLock { $0.journal }
        do {
            try journal.sync()
        } catch {
            invalidateIndexes(touched)
            let failure = StorageError(.io, "cannot write the metadata journal: \(error)", underlying: error)
            for (member, applied, _) in appended {
                if let applied { discardWritten(applied) }
                member.result = .failure(failure)
            }
            return
        }
        // Crash-only point: the commits are durable, not yet visible in memory.
        try? FaultPoints.hit("storage.after_commit_record")
        let records = state.records
        core.withLock { core in
            for record in records { core.meta.apply(record) }
            scheduleCheckpointIfDue(&core)
        }
        for (member, applied, info) in appended {
            if let applied { removeReplaced(applied) }
            member.result = .success(info)
        }
        try? writePendingCheckpoint()
    }
}
