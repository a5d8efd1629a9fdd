import SluiceRoutineLoad
import Testing

/// Every state × event pair of the job state machine, with StarRocks' refusals.
@Suite struct JobStateMachineTests {
    static let events: [JobStateMachine.Event] = [
        .scheduled, .pause(user: "root"), .resume, .stop(user: "root"), .alter, .fail(ErrorReason(102, "x")),
        .cancel(ErrorReason(6, "y")),
    ]

    static func outcome(_ state: JobState, _ event: JobStateMachine.Event) -> String {
        var machine = JobStateMachine(state: state)
        do {
            try machine.handle(event, jobName: "j")
            return machine.state.rawValue
        } catch {
            return "error: \(error.message)"
        }
    }

    @Test(arguments: JobState.allCases)
    func transitions(from state: JobState) {
        let results = Self.events.map { Self.outcome(state, $0) }
        let expected: [String]
        let final = "error: There is not operable routine load job with name j"
        switch state {
        case .needSchedule:
            expected = [
                "RUNNING", "PAUSED", "NEED_SCHEDULE", "STOPPED", "error: Only supports modification of PAUSED jobs",
                "PAUSED", "CANCELLED",
            ]
        case .running:
            expected = [
                "RUNNING", "PAUSED", "NEED_SCHEDULE", "STOPPED", "error: Only supports modification of PAUSED jobs",
                "PAUSED", "CANCELLED",
            ]
        case .paused:
            expected = [
                "PAUSED", "error: Could not transform PAUSED to PAUSED", "NEED_SCHEDULE", "STOPPED", "PAUSED", "PAUSED",
                "CANCELLED",
            ]
        case .stopped, .cancelled: expected = Array(repeating: final, count: 7)
        }
        #expect(results == expected)
    }

    @Test func reasonsRenderLikeStarRocks() {
        var machine = JobStateMachine(state: .running)
        try? machine.handle(.stop(user: "root"), jobName: "j")
        #expect(machine.reason?.description == "ErrorReason{errCode = 101, msg='User  root stop routine load job'}")
    }
}
