package import SluiceStorage

/// Deterministic batch labels: a pure function of the job and the batch's planned ranges, so a
/// replay of the same range gets the same label (spec label pattern `[-\w]{1,128}`).
package enum BatchLabel {
    /// `<job name (≤ 90 chars, non-word characters as _)>-<job id>-<16 hex digits>`.
    package static func make(jobName: String, jobID: Int64, epoch: Int, ranges: [Int32: OffsetRange]) -> String {
        var text = "\(jobID)|\(epoch)"
        for (partition, range) in ranges.sorted(by: { $0.key < $1.key }) {
            text += "|\(partition):\(range.first)-\(range.last)"
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let prefix = String(
            jobName.prefix(90).map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "_" || $0 == "-" ? $0 : "_" })
        let hex = String(hash, radix: 16)
        return "\(prefix)-\(jobID)-\(String(repeating: "0", count: 16 - hex.count))\(hex)"
    }
}
