import Foundation
import SluiceFiles

/// What `sluice load` shows while its jobs run: on a terminal one bar redrawn in place on
/// standard error (bytes, rows/s, ETA, files); otherwise one line per file as it ends.
final class LoadProgress {
    private var jobs: [LoadJob]
    private let terminal: Bool
    /// Per label: the state, rows and bytes SHOW LOAD last reported, and whether its line was printed.
    private var states: [String: (state: String, rows: Int, bytes: Int, error: String?)] = [:]
    private var reported = Set<String>()
    private var width = 0

    init(jobs: [LoadJob], terminal: Bool) {
        self.jobs = jobs
        self.terminal = terminal
        for job in jobs where job.skipped { report(job, "skipped", "loaded before") }
    }

    /// Takes SHOW LOAD's rows; returns whether every job has ended.
    func update(_ rows: [[String?]], elapsed: Duration) -> Bool {
        for row in rows {
            guard let label = row[1] ?? nil, jobs.contains(where: { $0.label == label }) else { continue }
            let details =
                (row[15] ?? nil).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
            let loaded = (row[6] ?? nil).flatMap { Self.number(after: "dpp.norm.ALL=", in: $0) } ?? 0
            states[label] = (
                row[2] ?? "", loaded, details?["ScanBytes"] as? Int ?? 0, row[8] ?? nil
            )
        }
        var done = true
        for job in jobs where !job.skipped {
            guard let state = states[job.label] else {
                done = false
                continue
            }
            switch state.state {
            case "FINISHED": report(job, "loaded", "\(state.rows) rows")
            case "CANCELLED": report(job, "failed", state.error ?? "cancelled")
            default: done = false
            }
        }
        if terminal { draw(elapsed) }
        return done
    }

    /// Prints the summary; returns whether no job failed.
    func finish(elapsed: Duration) -> Bool {
        if terminal { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8)) }
        let failed = jobs.filter { states[$0.label]?.state == "CANCELLED" }.count
        let loaded = jobs.filter { !$0.skipped && states[$0.label]?.state == "FINISHED" }.count
        let skipped = jobs.filter(\.skipped).count
        let rows = jobs.filter { !$0.skipped }.compactMap { states[$0.label]?.rows }.reduce(0, +)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        FileHandle.standardOutput.write(
            Data(
                ("\(jobs.count) files: \(loaded) loaded, \(skipped) skipped (loaded before), \(failed) failed; "
                    + "\(rows) rows in \(String(format: "%.1f", seconds)) s\n").utf8))
        return failed == 0
    }

    private func report(_ job: LoadJob, _ verb: String, _ detail: String) {
        guard reported.insert(job.label).inserted else { return }
        if terminal { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8)) }
        FileHandle.standardOutput.write(Data("\(verb) \(job.file.path): \(detail) (label \(job.label))\n".utf8))
    }

    /// `[#######-------]  45%  123.4/274.0 MB  1.2M rows/s  ETA 0:12  3/10 files`
    private func draw(_ elapsed: Duration) {
        let pending = jobs.filter { !$0.skipped }
        let total = max(1, pending.reduce(0) { $0 + $1.file.size })
        let bytes = pending.reduce(0) { sum, job in
            let state = states[job.label]
            return sum + (state?.state == "FINISHED" ? job.file.size : min(job.file.size, state?.bytes ?? 0))
        }
        let rows = pending.compactMap { states[$0.label]?.rows }.reduce(0, +)
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        let share = Double(bytes) / Double(total)
        let filled = Int(share * 30)
        let rate = Double(bytes) / seconds
        let eta = rate > 0 ? Int(Double(total - bytes) / rate) : 0
        let ended = pending.filter { ["FINISHED", "CANCELLED"].contains(states[$0.label]?.state ?? "") }.count
        let line =
            "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) + "] "
            + String(
                format: "%3d%%  %.1f/%.1f MB  %@ rows/s  ETA %d:%02d  %d/%d files", Int(share * 100),
                Double(bytes) / 1e6, Double(total) / 1e6, Self.compact(Double(rows) / seconds), eta / 60, eta % 60,
                ended, pending.count)
        width = max(width, line.count)
        FileHandle.standardError.write(Data(("\r" + line).utf8))
    }

    static func compact(_ value: Double) -> String {
        value >= 1e6
            ? String(format: "%.1fM", value / 1e6)
            : value >= 1e3
                ? String(format: "%.1fk", value / 1e3)
                : String(format: "%.0f", value)
    }

    static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
