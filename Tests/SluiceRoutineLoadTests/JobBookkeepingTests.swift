import Testing

@testable import SluiceRoutineLoad

/// The job's bookkeeping is a value: the §3.8 error window without threads or a manager.
@Suite struct JobBookkeepingTests {
    static func shared() -> JobRuntime.Shared {
        let definition = JobDefinition(
            id: 1, name: "j", database: "db", table: "t", clauses: LoadClauses(), properties: JobProperties(),
            rawProperties: [:], createTime: 0, groupID: "g")
        var s = JobRuntime.Shared(definition: definition, source: SourceHealth(since: 0))
        s.taskScheduled(0, positions: [0: 0], now: 10, timeoutSeconds: 60)
        return s
    }

    @Test func theErrorWindowPausesOnlyWhenExceeded() throws {
        var s = Self.shared()
        // Window of 100 rows, at most 5 error rows.
        let first = s.taskCommitted(0, totalRows: 50, errorRows: 3, maxErrors: 5, window: 100)
        #expect(!first)
        #expect(s.tasks[0]?.transactionStatus == "VISIBLE")
        // The window fills with 5 errors: not exceeded, and it starts over.
        let filled = s.taskCommitted(0, totalRows: 60, errorRows: 2, maxErrors: 5, window: 100)
        #expect(!filled)
        #expect(s.windowTotalRows == 0 && s.windowErrorRows == 0)
        // More than 5 errors before the window fills: exceeded at once.
        let exceeded = s.taskCommitted(0, totalRows: 10, errorRows: 6, maxErrors: 5, window: 100)
        #expect(exceeded)
        #expect(s.windowErrorRows == 0)
    }

    @Test func retriesAndAbortsAreVisibleToShow() throws {
        var s = Self.shared()
        s.taskStarted(0, transactionID: 7)
        #expect(s.tasks[0]?.transactionStatus == "PREPARE")
        s.taskRetried(0, reason: "broker down", stamp: "2026-01-01 00:00:00")
        #expect(s.tasks[0]?.message == "previous task aborted because of broker down")
        #expect(s.otherMessage.hasSuffix("task failed due to: broker down"))
        s.taskAborted(0)
        #expect(s.abortedTasks == 1)
        #expect(s.tasks[0]?.transactionStatus == "ABORTED")
    }
}
