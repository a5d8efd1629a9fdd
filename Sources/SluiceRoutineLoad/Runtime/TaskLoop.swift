/// The life of one Routine Load task as a value: the shell (``PartitionTask``) reports what
/// happened, the loop answers what to do next.
///
/// ```
///   forming ──batchClosed──► loading ──committed──► forming
///      │                        │
///      └──retry──► backoff ◄──retry──┘      backoff ──waited──► forming (re-assign)
///   any ──stopped──► stopped          forming ──gapSkipped──► forming (re-assign)
/// ```
/// It owns what the loop remembers between batches: whether the consumer must be (re)assigned
/// to the committed positions, the backoff, and how long loading a batch takes (a time-closed
/// batch closes that much before `max_batch_interval`, so rows are visible about when it ends).
struct TaskLoop: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        case forming, loading, backoff, stopped
    }

    enum Event: Sendable, Equatable {
        /// The batch being formed closed (rows, bytes or time).
        case batchClosed
        /// The batch committed; loading it took `took`.
        case committed(took: Duration)
        /// Nothing committed (a load to retry, a transient source error): wait, then re-read
        /// from the committed positions.
        case retry
        /// The wait of the backoff phase ended.
        case waited
        /// An offset gap was skipped by policy: re-read from the new positions at once.
        case gapSkipped
        /// The job paused, stopped or failed, or the runner is stopping.
        case stopped
    }

    enum Action: Sendable, Equatable {
        /// Form the next batch, first assigning the consumer to the committed positions when
        /// `reassign` (after a start, a retry or a skipped gap).
        case formBatch(reassign: Bool)
        case loadBatch
        case wait(Duration)
        case stop
    }

    private(set) var phase = Phase.forming
    private(set) var backoff: Backoff
    /// Moving average of how long loading a batch takes.
    private(set) var loadEstimate = Duration.zero

    init(backoff: Backoff) { self.backoff = backoff }

    /// The first action of a task.
    var start: Action { .formBatch(reassign: true) }

    /// Applies `event`; returns the next action. Events that make no sense in the phase (a
    /// commit while forming) stop the task rather than guess.
    mutating func handle(_ event: Event) -> Action {
        switch (phase, event) {
        case (_, .stopped), (.stopped, _):
            phase = .stopped
            return .stop
        case (.forming, .batchClosed):
            phase = .loading
            return .loadBatch
        case (.loading, .committed(let took)):
            backoff.reset()
            loadEstimate = loadEstimate * 0.7 + took * 0.3
            phase = .forming
            return .formBatch(reassign: false)
        case (.forming, .retry), (.loading, .retry):
            phase = .backoff
            return .wait(backoff.next())
        case (.backoff, .waited):
            phase = .forming
            return .formBatch(reassign: true)
        case (.forming, .gapSkipped):
            return .formBatch(reassign: true)
        case (.forming, .committed), (.forming, .waited), (.loading, .batchClosed), (.loading, .waited),
            (.loading, .gapSkipped), (.backoff, .batchClosed), (.backoff, .committed), (.backoff, .retry),
            (.backoff, .gapSkipped):
            phase = .stopped
            return .stop
        }
    }
}
