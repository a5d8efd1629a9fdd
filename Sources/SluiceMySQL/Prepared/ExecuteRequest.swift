/// COM_STMT_EXECUTE's payload after the command byte (spec §3.10): statement id, flags,
/// iteration count, then — for a statement with parameters — the NULL bitmap, the
/// new-params-bound flag, types when bound, and the values in binary encoding.
package struct ExecuteRequest: Sendable, Equatable {
    package var statementID: UInt32
    package var flags: UInt8
    package var values: [ParameterValue]
    /// The types this request bound (nil: the previous execute's apply).
    package var boundTypes: [(type: UInt8, unsigned: Bool)]?

    package static func == (a: ExecuteRequest, b: ExecuteRequest) -> Bool {
        a.statementID == b.statementID && a.flags == b.flags && a.values == b.values
            && a.boundTypes?.map(\.type) == b.boundTypes?.map(\.type)
            && a.boundTypes?.map(\.unsigned) == b.boundTypes?.map(\.unsigned)
    }

    package enum Failure: Error, Sendable, Equatable {
        case truncated
        /// Parameters were never bound to types.
        case unboundParameters
        case unknownType(UInt8)
    }

    /// The statement id the payload names (read first, to look the statement up).
    package static func statementID(_ payload: some Collection<UInt8>) -> UInt32? {
        var reader = WireReader(Array(payload.prefix(4)))
        return (try? reader.int4()).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// Parses the request for `statement`: long data already sent stands in for its parameters.
    package static func parse(_ payload: [UInt8], statement: PreparedStatement) throws(Failure) -> ExecuteRequest {
        var reader = WireReader(payload)
        do {
            let id = UInt32(truncatingIfNeeded: try reader.int4())
            let flags = try reader.int1()
            _ = try reader.int4()  // iteration count, always 1
            let count = statement.parameterCount
            var request = ExecuteRequest(statementID: id, flags: flags, values: [], boundTypes: nil)
            guard count > 0 else { return request }
            let bitmap = try reader.bytes((count + 7) / 8)
            var types = statement.parameterTypes
            if try reader.int1() == 1 {
                types = []
                for _ in 0..<count {
                    let type = try reader.int1()
                    let flag = try reader.int1()
                    types.append((type, flag & 0x80 != 0))
                }
                request.boundTypes = types
            }
            guard types.count == count else { throw Failure.unboundParameters }
            for index in 0..<count {
                if bitmap[index / 8] & (1 << (index % 8)) != 0 {
                    request.values.append(.null)
                } else if let data = statement.longData[index] {
                    request.values.append(.bytes(data))
                } else {
                    request.values.append(try value(&reader, types[index]))
                }
            }
            return request
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.truncated
        }
    }

    private static func value(_ r: inout WireReader, _ type: (type: UInt8, unsigned: Bool)) throws -> ParameterValue {
        func integer(_ bytes: Int) throws -> ParameterValue {
            var raw: UInt64 = 0
            for (i, byte) in try r.bytes(bytes).enumerated() { raw |= UInt64(byte) << (8 * UInt64(i)) }
            if type.unsigned { return .unsigned(raw) }
            let shift = UInt64(64 - 8 * bytes)
            return .int(Int64(bitPattern: raw << shift) >> Int64(shift))
        }
        switch type.type {
        case 0x06: return .null
        case 0x01: return try integer(1)
        case 0x02, 0x0D: return try integer(2)
        case 0x03, 0x09: return try integer(4)
        case 0x08: return try integer(8)
        case 0x04:
            let bits = try r.bytes(4).enumerated().reduce(UInt32(0)) {
                $0 | UInt32($1.element) << (8 * UInt32($1.offset))
            }
            return .double(Double(Float(bitPattern: bits)))
        case 0x05:
            let bits = try r.bytes(8).enumerated().reduce(UInt64(0)) {
                $0 | UInt64($1.element) << (8 * UInt64($1.offset))
            }
            return .double(Double(bitPattern: bits))
        case 0x07, 0x0A, 0x0C:
            let length = Int(try r.int1())
            var fields = WireReader(try r.bytes(length))
            guard length > 0 else {
                return type.type == 0x0A
                    ? .date(year: 0, month: 0, day: 0)
                    : .dateTime(year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, micros: 0)
            }
            let year = try fields.int2(), month = Int(try fields.int1()), day = Int(try fields.int1())
            var (hour, minute, second, micros) = (0, 0, 0, 0)
            if length >= 7 {
                (hour, minute, second) = (Int(try fields.int1()), Int(try fields.int1()), Int(try fields.int1()))
            }
            if length >= 11 { micros = try fields.int4() }
            if type.type == 0x0A { return .date(year: year, month: month, day: day) }
            return .dateTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, micros: micros)
        case 0x0B:
            let length = Int(try r.int1())
            var fields = WireReader(try r.bytes(length))
            guard length > 0 else { return .time(negative: false, days: 0, hour: 0, minute: 0, second: 0, micros: 0) }
            let negative = try fields.int1() == 1
            let days = try fields.int4()
            let (hour, minute, second) = (Int(try fields.int1()), Int(try fields.int1()), Int(try fields.int1()))
            let micros = length >= 12 ? try fields.int4() : 0
            return .time(negative: negative, days: days, hour: hour, minute: minute, second: second, micros: micros)
        case 0x0F, 0x10, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE:
            return .bytes(try r.lenencBytes())
        default:
            throw Failure.unknownType(type.type)
        }
    }
}
