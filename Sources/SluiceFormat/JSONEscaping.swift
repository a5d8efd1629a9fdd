/// JSON string escaping shared by every JSON writer (HTTP results, JSON columns, error logs).
package enum JSONEscaping {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `text` as a quoted JSON string literal.
    package static func appendQuoted(_ text: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(34)
        for c in text {
            switch c {
            case 34: out.append(contentsOf: [92, 34])
            case 92: out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32: out.append(contentsOf: [92, 117, 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(34)
    }

    /// `text` as a quoted JSON string literal.
    package static func quoted(_ text: String) -> String {
        var out = [UInt8]()
        appendQuoted(text.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
