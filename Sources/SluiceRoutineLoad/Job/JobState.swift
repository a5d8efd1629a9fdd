/// A Routine Load job's state (spec §3.5); raw values are the wire strings.
package enum JobState: String, Sendable, Codable, CaseIterable {
    case needSchedule = "NEED_SCHEDULE"
    case running = "RUNNING"
    case paused = "PAUSED"
    case stopped = "STOPPED"
    case cancelled = "CANCELLED"

    /// STOPPED and CANCELLED jobs never run again.
    package var isFinal: Bool { self == .stopped || self == .cancelled }
    /// NEED_SCHEDULE and RUNNING jobs consume.
    package var isRunnable: Bool { self == .needSchedule || self == .running }
}

/// Why a job changed state, rendered as StarRocks' `ErrorReason{errCode = <n>, msg='<text>'}`.
package struct ErrorReason: Sendable, Codable, Hashable, CustomStringConvertible {
    package var code: Int
    package var message: String

    package init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    package static let internalError = 2
    package static let manualPause = 100
    package static let manualStop = 101
    package static let tooManyFailureRows = 102
    package static let tasksAbort = 104
    /// StarRocks' SLOW_RUNNING_ERR: the job runs but does not keep up (here: its brokers are silent).
    package static let slowRunning = 105
    package static let tableMissing = 6
    package static let databaseMissing = 5

    package var description: String { "ErrorReason{errCode = \(code), msg='\(message)'}" }
}

/// The job state machine as a value: every statement and runtime event goes through
/// ``handle(_:)``, which either moves the state or answers with StarRocks' error message.
package struct JobStateMachine: Sendable, Hashable {
    package enum Event: Sendable, Hashable {
        /// Offsets resolved, tasks started.
        case scheduled
        case pause(user: String)
        case resume
        case stop(user: String)
        case alter
        /// A task hit a condition that pauses the job (error rows, offset out of range, …).
        case fail(ErrorReason)
        /// The target table or database is gone.
        case cancel(ErrorReason)
    }

    package private(set) var state: JobState
    package private(set) var reason: ErrorReason?

    package init(state: JobState, reason: ErrorReason? = nil) {
        self.state = state
        self.reason = reason
    }

    /// Applies `event`; throws the message a client sees when the event is not allowed.
    package mutating func handle(_ event: Event, jobName: String) throws(RoutineLoadError) {
        if state.isFinal {
            throw RoutineLoadError(.invalidState, "There is not operable routine load job with name \(jobName)")
        }
        switch event {
        case .scheduled:
            guard state == .needSchedule else { return }
            state = .running
        case .pause(let user):
            guard state != .paused else {
                throw RoutineLoadError(.invalidState, "Could not transform PAUSED to PAUSED")
            }
            state = .paused
            reason = ErrorReason(ErrorReason.manualPause, "User \(user) pauses routine load job")
        case .resume:
            state = .needSchedule
            reason = nil
        case .stop(let user):
            state = .stopped
            reason = ErrorReason(ErrorReason.manualStop, "User  \(user) stop routine load job")
        case .alter:
            guard state == .paused else {
                throw RoutineLoadError(.invalidState, "Only supports modification of PAUSED jobs")
            }
        case .fail(let why):
            guard state.isRunnable else { return }
            state = .paused
            reason = why
        case .cancel(let why):
            state = .cancelled
            reason = why
        }
    }
}
