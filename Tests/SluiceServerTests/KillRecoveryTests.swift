import Foundation
import SluiceServer
import SluiceTesting
import Synchronization
import Testing

/// `kill -9` of the real server while INSERTs stream in; the restarted server shows every
/// acknowledged INSERT exactly once and no partial one.
@Suite(.serialized) struct KillRecoveryTests {
    final class Acknowledged: Sendable {
        let batches = Mutex<[Int]>([])
        let killed = Mutex(false)
    }

    @Test(.timeLimit(.minutes(3)))
    func killNineDuringInsertsLosesNothingAcknowledged() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await client.execute("CREATE DATABASE k", database: nil)
        _ = try await client.execute(
            "CREATE TABLE t (batch INT NOT NULL, i INT) DUPLICATE KEY(batch) DISTRIBUTED BY HASH(i) BUCKETS 3",
            database: "k")
        let acknowledged = Acknowledged()
        let writer = Task {
            for batch in 0..<100_000 {
                // After the kill, stop: the freed port may already belong to another test's
                // process (a mock Kafka broker never answers HTTP), so do not send there.
                if acknowledged.killed.withLock({ $0 }) { return }
                let query = "INSERT INTO t SELECT \(batch), generate_series FROM TABLE(generate_series(1, 100))"
                guard let response = try? await client.execute(query, database: "k"), response.error == nil else {
                    return
                }
                acknowledged.batches.withLock { $0.append(batch) }
            }
        }
        let twentyAcknowledged = await Eventually.until(timeout: .seconds(180)) { () async -> Bool in
            acknowledged.batches.withLock { $0.count } >= 20
        }
        #expect(twentyAcknowledged)
        acknowledged.killed.withLock { $0 = true }
        server.kill9()
        await writer.value
        let acked = Set(acknowledged.batches.withLock { $0 })

        let restarted = try ServerProcess(dataDirectory: directory)
        let again = SQLClient(host: "127.0.0.1", port: restarted.port, user: "root", password: "")
        let rows = try await again.execute("SELECT batch, count(*) FROM t GROUP BY batch", database: "k").rows
        var seen = [Int: Int]()
        for row in rows { seen[Int(row[0]!)!] = Int(row[1]!)! }
        for batch in acked { #expect(seen[batch] == 100, "acknowledged batch \(batch)") }
        let unacknowledged = seen.keys.filter { !acked.contains($0) }
        #expect(unacknowledged.count <= 1)
        for batch in unacknowledged { #expect(seen[batch] == 100, "partial batch \(batch)") }
        #expect(restarted.terminate().status == 0)
    }
}
