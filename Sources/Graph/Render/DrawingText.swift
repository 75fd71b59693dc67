/// Turns parts of a compiled graph into the short plain-text lines that drawings show.
/// Everything here is language-neutral: the DOT and Mermaid writers escape the lines.
enum DrawingText {
    /// Longest line a node shows, in characters; longer text ends with `…`.
    static let lineLimit = 56
    /// Longer values are cut while they are summarised, so a huge list costs no more than this.
    static let valueBudget = 120
    /// How deep a value's lists and maps are shown before `…` stands for the rest.
    static let valueDepth = 6

    /// One line: runs of whitespace and control characters (newlines of block scalars, tabs)
    /// become one space, and the text is cut at `limit` characters.
    static func line(_ text: String, limit: Int = lineLimit) -> String {
        var result = ""
        var count = 0
        var pendingSpace = false
        for character in text {
            if character.isWhitespace || character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace {
                result.append(" ")
                count += 1
                pendingSpace = false
            }
            if count >= limit - 1 {
                result.append("…")
                return result
            }
            result.append(character)
            count += 1
        }
        return result
    }

    static func expression(_ expression: GraphExpression) -> String {
        line(expression.source)
    }

    static func labelled(_ name: String, _ text: String) -> String {
        line("\(name): \(text)")
    }

    /// A compact, CEL-like rendering of a value: strings quoted, templates with `${{ }}`.
    static func value(_ value: GraphValue) -> String {
        var writer = ValueWriter(budget: valueBudget)
        writer.write(value, depth: 0)
        return line(writer.text)
    }

    /// `10000` rather than `10000.0` for whole numbers, so thresholds read as written.
    static func number(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    static func duration(milliseconds: Int64) -> String {
        if milliseconds > 0, milliseconds % 1000 == 0 {
            let seconds = milliseconds / 1000
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        return "\(milliseconds)ms"
    }

    private struct ValueWriter {
        var budget: Int
        var text = ""

        var isFull: Bool { text.unicodeScalars.count >= budget }

        mutating func write(_ value: GraphValue, depth: Int) {
            if isFull { return }
            switch value {
            case .null: text += "null"
            case .bool(let bool): text += bool ? "true" : "false"
            case .int(let int): text += String(int)
            case .double(let double): text += DrawingText.number(double)
            case .string(let string): quoted(string)
            case .expression(let expression): text += "${{ \(prefix(expression.source)) }}"
            case .template(let segments):
                text += "\""
                for segment in segments {
                    if isFull { break }
                    switch segment {
                    case .text(let literal): text += prefix(literal)
                    case .expression(let expression): text += "${{ \(prefix(expression.source)) }}"
                    }
                }
                text += "\""
            case .list(let items):
                guard depth < DrawingText.valueDepth else { text += "[…]"; return }
                text += "["
                for (index, item) in items.enumerated() {
                    if isFull { break }
                    if index > 0 { text += ", " }
                    write(item, depth: depth + 1)
                }
                text += "]"
            case .map(let entries):
                guard depth < DrawingText.valueDepth else { text += "{…}"; return }
                text += "{"
                for (index, entry) in entries.enumerated() {
                    if isFull { break }
                    if index > 0 { text += ", " }
                    text += prefix(entry.key) + ": "
                    write(entry.value, depth: depth + 1)
                }
                text += "}"
            }
        }

        mutating func quoted(_ string: String) {
            text += "\"" + prefix(string) + "\""
        }

        /// Only as much of a (possibly huge) string as the budget can still show.
        func prefix(_ string: String) -> String {
            String(string.prefix(max(budget - text.unicodeScalars.count, 1)))
        }
    }
}
