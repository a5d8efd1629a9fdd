import SluiceIO
import Testing

/// Fault points are inert until armed; `fail@N*K` fails exactly hits N…N+K−1.
@Suite struct FaultPointsTests {
    @Test func failArmsExactlyTheChosenHits() throws {
        try FaultPoints.configure("test.only.point=fail@2*2")
        var outcomes = [Bool]()
        for _ in 0..<5 { outcomes.append((try? FaultPoints.hit("test.only.point")) != nil) }
        #expect(outcomes == [true, false, false, true, true])
        try FaultPoints.hit("test.unarmed.point")
    }

    @Test func malformedSpecsAreRejected() {
        #expect(throws: IOError.self) { try FaultPoints.configure("nonsense") }
        #expect(throws: IOError.self) { try FaultPoints.configure("a=explode@1") }
        #expect(throws: IOError.self) { try FaultPoints.configure("a=fail@0") }
    }
}
