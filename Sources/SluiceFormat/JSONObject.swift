/// Compact JSON objects with keys in the given order.
package enum JSONObject {
    package static func strings(_ pairs: [(String, String)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONEscaping.appendQuoted(Array(key.utf8), to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEscaping.appendQuoted(Array(value.utf8), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    package static func numbers(_ pairs: [(String, Int64)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONEscaping.appendQuoted(Array(key.utf8), to: &out)
            out.append(contentsOf: ":\(value)".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
