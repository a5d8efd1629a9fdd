import Testing

@testable import SluiceRoutineLoad

/// The task loop as a value: forming → loading → backoff, with the actions the shell performs.
@Suite struct TaskLoopTests {
    static func loop() -> TaskLoop { TaskLoop(backoff: Backoff(minimum: .milliseconds(100), maximum: .seconds(1))) }

    @Test func batchesFormLoadAndCommitWithoutReassigning() {
        var loop = Self.loop()
        #expect(loop.start == .formBatch(reassign: true))
        #expect(loop.handle(.batchClosed) == .loadBatch)
        #expect(loop.phase == .loading)
        #expect(loop.handle(.committed(took: .milliseconds(100))) == .formBatch(reassign: false))
        #expect(loop.loadEstimate == .milliseconds(30))
        #expect(loop.handle(.batchClosed) == .loadBatch)
        #expect(loop.handle(.committed(took: .milliseconds(100))) == .formBatch(reassign: false))
        #expect(loop.loadEstimate == .milliseconds(51))
    }

    @Test func failuresBackOffThenReassignAndACommitResetsTheBackoff() {
        var loop = Self.loop()
        #expect(loop.handle(.retry) == .wait(.milliseconds(100)))
        #expect(loop.phase == .backoff)
        #expect(loop.handle(.waited) == .formBatch(reassign: true))
        #expect(loop.handle(.batchClosed) == .loadBatch)
        #expect(loop.handle(.retry) == .wait(.milliseconds(200)))
        #expect(loop.handle(.waited) == .formBatch(reassign: true))
        #expect(loop.handle(.retry) == .wait(.milliseconds(400)))
        _ = loop.handle(.waited)
        _ = loop.handle(.batchClosed)
        _ = loop.handle(.committed(took: .zero))
        #expect(loop.handle(.retry) == .wait(.milliseconds(100)))
    }

    @Test func gapsReassignAtOnceAndStopsAreFinal() {
        var loop = Self.loop()
        #expect(loop.handle(.gapSkipped) == .formBatch(reassign: true))
        #expect(loop.handle(.stopped) == .stop)
        #expect(loop.handle(.batchClosed) == .stop)
        #expect(loop.phase == .stopped)
    }

    @Test func eventsOutOfPlaceStopRatherThanGuess() {
        var forming = Self.loop()
        #expect(forming.handle(.committed(took: .zero)) == .stop)
        var loading = Self.loop()
        _ = loading.handle(.batchClosed)
        #expect(loading.handle(.batchClosed) == .stop)
    }
}
