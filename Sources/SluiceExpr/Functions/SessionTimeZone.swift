import Foundation
import SluiceFormat

/// A named IANA time zone (or fixed offset like `+08:00`) used by time functions.
package struct SessionTimeZone: Sendable, Hashable {
    package let name: String
    private let zone: TimeZone

    package static let utc = SessionTimeZone(validated: "UTC", zone: TimeZone(identifier: "UTC")!)

    private init(validated name: String, zone: TimeZone) {
        self.name = name
        self.zone = zone
    }

    /// - Returns: nil for an unknown zone name.
    package init?(_ name: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if let zone = TimeZone(identifier: trimmed) {
            self.init(validated: trimmed, zone: zone)
            return
        }
        // Fixed offsets: +08:00, -05:30.
        let scalars = Array(trimmed.utf8)
        if scalars.count == 6, scalars[0] == 43 || scalars[0] == 45, scalars[3] == 58,
            let h = Int(trimmed.dropFirst().prefix(2)), let m = Int(trimmed.suffix(2)), h <= 14, m < 60,
            let zone = TimeZone(secondsFromGMT: (scalars[0] == 45 ? -1 : 1) * (h * 3600 + m * 60))
        {
            self.init(validated: trimmed, zone: zone)
            return
        }
        return nil
    }

    /// Seconds east of UTC at the UTC instant `epochSeconds`.
    package func offset(atUTC epochSeconds: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(epochSeconds))))
    }

    /// UTC microseconds → wall-clock microseconds in this zone.
    package func toLocal(utcMicros: Int64) -> Int64 {
        utcMicros + offset(atUTC: CivilTime.floorDivide(utcMicros, CivilTime.microsPerSecond).0)
            * CivilTime.microsPerSecond
    }

    /// Wall-clock microseconds in this zone → UTC microseconds.
    package func toUTC(localMicros: Int64) -> Int64 {
        let guess = localMicros - offset(atUTC: localMicros / CivilTime.microsPerSecond) * CivilTime.microsPerSecond
        return localMicros - offset(atUTC: guess / CivilTime.microsPerSecond) * CivilTime.microsPerSecond
    }

    package static func == (a: SessionTimeZone, b: SessionTimeZone) -> Bool { a.name == b.name }
    package func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
