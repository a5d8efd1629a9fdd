/// Debezium change events (`envelope: debezium`, spec table-models §6.1 (3)): an optional
/// top-level `payload`, `op` in `c`/`r`/`u` (the row is `after`) or `d` (the row is `before`,
/// deleted). The row image gets an `__op` member (0 upsert, 1 delete) for PRIMARY KEY tables.
enum DebeziumEnvelope {
    enum Outcome {
        case row(JSONValue)
        /// `{"payload": null}` or `null`: Debezium's tombstone after a delete (for log compaction).
        case tombstone
        case failure(String)
    }

    static func unwrap(_ event: JSONValue) -> Outcome {
        var envelope = event
        if case .null = event { return .tombstone }
        if let payload = event.member(Array("payload".utf8)) {
            if case .null = payload { return .tombstone }
            envelope = payload
        }
        guard case .object = envelope else { return .failure("Debezium event is not a JSON object") }
        guard let opValue = envelope.member(Array("op".utf8)), case .string(let op) = opValue else {
            return .failure("Debezium event has no op: expected \"op\" of c, r, u or d")
        }
        let (image, code): (String, UInt8)
        switch String(decoding: op, as: UTF8.self) {
        case "c", "r", "u": (image, code) = ("after", 0)
        case "d": (image, code) = ("before", 1)
        case let other: return .failure("Debezium event op '\(other)' is not c, r, u or d")
        }
        guard let row = envelope.member(Array(image.utf8)), case .object(var members) = row else {
            return .failure("Debezium event with op '\(String(decoding: op, as: UTF8.self))' has no \(image) row")
        }
        members.removeAll { $0.key == Array("__op".utf8) }
        members.append((key: Array("__op".utf8), value: .number([UInt8(ascii: "0") + code])))
        return .row(.object(members))
    }
}
