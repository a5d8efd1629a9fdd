/// A Routine Load job's state (spec §3.5); raw values are the wire strings.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case needSchedule = "NEED_SCHEDULE"
    case running = "RUNNING"
    case paused = "PAUSED"
    case stopped = "STOPPED"
    case cancelled = "CANCELLED"

    /// STOPPED and CANCELLED jobs never run again.
    public var isFinal: Bool { self == .stopped || self == .cancelled }
    /// NEED_SCHEDULE and RUNNING jobs consume.
    public var isRunnable: Bool { self == .needSchedule || self == .running }
}

/// Why a job changed state, rendered as StarRocks' `ErrorReason{errCode = <n>, msg='<text>'}`.
public struct ErrorReason: Sendable, Codable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    public static let internalError = 2
    public static let manualPause = 100
    public static let manualStop = 101
    public static let tooManyFailureRows = 102
    public static let tasksAbort = 104
    public static let tableMissing = 6
    public static let databaseMissing = 5

    public var description: String { "ErrorReason{errCode = \(code), msg='\(message)'}" }
}

/// The job state machine as a value: every statement and runtime event goes through
/// ``handle(_:)``, which either moves the state or answers with StarRocks' error message.
public struct JobStateMachine: Sendable, Hashable {
    public enum Event: Sendable, Hashable {
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

    public private(set) var state: JobState
    public private(set) var reason: ErrorReason?

    public init(state: JobState, reason: ErrorReason? = nil) {
        self.state = state
        self.reason = reason
    }

    /// Applies `event`; throws the message a client sees when the event is not allowed.
    public mutating func handle(_ event: Event, jobName: String) throws(RoutineLoadError) {
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
