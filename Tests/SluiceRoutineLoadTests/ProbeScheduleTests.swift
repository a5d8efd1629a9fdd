import Testing

@testable import SluiceRoutineLoad

/// When a task probes its partitions' brokers: only partitions silent for `every` since the task
/// started or since they last answered, the quietest first, one at a time.
@Suite struct ProbeScheduleTests {
    @Test func partitionsNotReachedYetAreNotProbed() {
        var probes = ProbeSchedule(partitions: [0, 1, 2], every: 10_000, now: 1_000)
        // A consumer queue that reaches partitions one after another: nothing is due early.
        #expect(probes.due(at: 1_000) == nil)
        probes.answered([0], at: 1_500)
        #expect(probes.due(at: 10_999) == nil)
        // Partitions 1 and 2 stayed silent for `every`: the lowest id of the quietest first.
        #expect(probes.due(at: 11_000) == 1)
        probes.answered([1], at: 11_000)
        #expect(probes.due(at: 11_000) == 2)
        probes.answered([2], at: 11_000)
        #expect(probes.due(at: 11_000) == nil)
        #expect(probes.due(at: 11_500) == 0)
    }

    @Test func unknownPartitionsAreIgnored() {
        var probes = ProbeSchedule(partitions: [3], every: 0, now: 0)
        probes.answered([7], at: 5)
        #expect(probes.due(at: 1) == 3)
    }
}
