/// Prints values as CEL literals that evaluate back to them (SPEC 4.5).
public enum CELLiteral {
    public static func format(_ value: CELValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func write(_ value: CELValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .uint(let number): out += String(number) + "u"
        case .double(let number): out += format(double: number)
        case .string(let text): writeString(text, into: &out)
        case .bytes(let bytes):
            out += "b\""
            for byte in bytes { out += "\\x" + hex(byte) }
            out += "\""
        case .timestamp(let timestamp): out += "timestamp(\"\(timestamp.rfc3339)\")"
        case .duration(let duration): out += "duration(\"\(duration.text)\")"
        case .list(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += ", " }
                write(element, into: &out)
            }
            out += "]"
        case .map(let map):
            out += "{"
            for (index, entry) in map.entries.enumerated() {
                if index > 0 { out += ", " }
                write(entry.key, into: &out)
                out += ": "
                write(entry.value, into: &out)
            }
            out += "}"
        case .record(let record):
            // Records print as maps of their present fields: flowc has no record literals.
            out += "{"
            var first = true
            for field in record.type.fields {
                guard let fieldValue = record.fields[field.slot] else { continue }
                if !first { out += ", " }
                first = false
                writeString(field.name, into: &out)
                out += ": "
                write(fieldValue, into: &out)
            }
            out += "}"
        case .type(let type): out += type.runtimeName
        case .optional(let inner):
            if let inner {
                out += "optional.of("
                write(inner, into: &out)
                out += ")"
            } else {
                out += "optional.none()"
            }
        case .error(let error): out += "error(\(error.message))"
        }
    }

    /// The shortest text that reads back to the same double, always with a `.` or an exponent.
    public static func format(double number: Double) -> String {
        if number.isNaN { return "double(\"NaN\")" }
        if number.isInfinite { return number < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")" }
        let text = "\(number)"
        if text.contains(".") || text.contains("e") { return text }
        return text + ".0"
    }

    static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u00" + hex(UInt8(scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}
