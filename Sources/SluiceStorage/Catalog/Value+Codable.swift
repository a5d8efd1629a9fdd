package import SluiceFormat

/// Values in journal records and checkpoints: tagged JSON, wide integers as decimal strings.
extension Value: Codable {
    private enum CodingKeys: String, CodingKey { case i, w, d, b }

    package init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            self = .null
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(Int64.self, forKey: .i) {
            self = .int(v)
        } else if let text = try c.decodeIfPresent(String.self, forKey: .w) {
            guard let v = Int128(text) else {
                throw DecodingError.dataCorruptedError(forKey: .w, in: c, debugDescription: "bad wide integer")
            }
            self = .wide(v)
        } else if let v = try c.decodeIfPresent(UInt64.self, forKey: .d) {
            self = .double(Double(bitPattern: v))
        } else if let v = try c.decodeIfPresent([UInt8].self, forKey: .b) {
            self = .bytes(v)
        } else {
            throw DecodingError.dataCorruptedError(forKey: .i, in: c, debugDescription: "empty value")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .int(let v):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(v, forKey: .i)
        case .wide(let v):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(String(v), forKey: .w)
        case .double(let v):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(v.bitPattern, forKey: .d)
        case .bytes(let v):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(v, forKey: .b)
        }
    }
}
