import SluiceFormat

/// `yyyy-MM-dd HH:mm:ss` (UTC) for SHOW output.
enum CivilTimeFormat {
    static func dateTime(seconds: Int64) -> String { CivilTime.formatDateTime(seconds * CivilTime.microsPerSecond) }
}
