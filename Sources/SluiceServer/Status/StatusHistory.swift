import SluiceRoutineLoad
import SluiceStorage
import Synchronization

/// What the status page charts: samples of every job's loaded rows and per-partition lag, one
/// at most per second, the last ten minutes of them.
final class StatusHistory: Sendable {
    struct Sample: Sendable {
        /// Seconds since the epoch.
        var time: Double
        var loadedRows: [String: Int64]
        var lag: [String: [Int32: Int64]]
    }

    private let samples = Mutex<[Sample]>([])
    static let window = 600.0

    /// Records the jobs' state at `time` unless the last sample is under a second old; returns
    /// the samples within the window.
    func record(_ jobs: [JobHealth], at time: Double) -> [Sample] {
        samples.withLock { samples in
            if let last = samples.last, time - last.time < 1 { return samples }
            var sample = Sample(time: time, loadedRows: [:], lag: [:])
            for job in jobs {
                let name = "\(job.database).\(job.name)"
                sample.loadedRows[name] = job.counters.loadedRows
                sample.lag[name] = job.lag
            }
            samples.append(sample)
            samples.removeAll { time - $0.time > Self.window }
            return samples
        }
    }
}
