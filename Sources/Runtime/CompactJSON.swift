import Diagnostics

/// One-line JSON for run records and emitted events, the same text as
/// `JSONValue.serialized()`, built with whole-string appends: strings without characters to
/// escape (nearly all) are copied at once instead of scalar by scalar, which made JSON
/// writing the largest cost of a run in the `flowc-bench run` profile.
enum CompactJSON {
    static func serialize(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? String(number) : "null"
        case .string(let text): string(text, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                string(member.0, into: &out)
                out += ":"
                write(member.1, into: &out)
            }
            out += "}"
        }
    }

    private static func string(_ text: String, into out: inout String) {
        let plain = text.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 != 0x7F }
        if plain {
            out += "\""
            out += text
            out += "\""
        } else {
            JSONValue.writeString(text, into: &out)
        }
    }
}
