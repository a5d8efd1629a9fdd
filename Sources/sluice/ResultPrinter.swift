import Foundation

/// Renders a result for the terminal or a pipe: a bordered table, tab-separated values with
/// tabs, newlines and backslashes escaped (so every row stays one line), one JSON object per
/// row, or the vertical layout of `\G`.
enum ResultPrinter {
    enum Layout {
        case table, tsv, json, vertical
    }

    static func render(columns: [String], rows: [[String?]], format: Layout) -> String {
        switch format {
        case .tsv:
            let lines = [columns.map(escaped)] + rows.map { $0.map { $0.map(escaped) ?? "NULL" } }
            return lines.map { $0.joined(separator: "\t") + "\n" }.joined()
        case .json:
            return rows.map { row in
                let object = Dictionary(uniqueKeysWithValues: zip(columns, row.map { $0 as Any? ?? NSNull() }))
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                return String(decoding: data, as: UTF8.self) + "\n"
            }.joined()
        case .vertical:
            let width = columns.map(\.count).max() ?? 0
            var out = ""
            for (index, row) in rows.enumerated() {
                out +=
                    String(repeating: "*", count: 27) + " \(index + 1). row " + String(repeating: "*", count: 27) + "\n"
                for (name, value) in zip(columns, row) {
                    out += String(repeating: " ", count: width - name.count) + name + ": " + (value ?? "NULL") + "\n"
                }
            }
            return out + "\(rows.count) row\(rows.count == 1 ? "" : "s") in set\n"
        case .table:
            let cells = rows.map { $0.map { $0 ?? "NULL" } }
            var widths = columns.map(\.count)
            for row in cells {
                for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
            }
            let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+\n"
            func line(_ values: [String]) -> String {
                "|"
                    + zip(values, widths).map { " " + $0 + String(repeating: " ", count: $1 - $0.count) + " " }.joined(
                        separator: "|") + "|\n"
            }
            var out = rule + line(columns) + rule
            for row in cells { out += line(row) }
            if !cells.isEmpty { out += rule }
            return out + "\(cells.count) row\(cells.count == 1 ? "" : "s") in set\n"
        }
    }

    /// `\` → `\\`, tab → `\t`, newline → `\n`, carriage return → `\r` (mysql's batch mode).
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(character)
            }
        }
        return out
    }
}
