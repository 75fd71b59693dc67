/// The type conversion functions `int()`, `uint()`, `double()`, `string()`, `bytes()`,
/// `bool()`, `timestamp()` and `duration()`.
enum CELConversions {
    static func toInt(_ value: CELValue) -> CELValue {
        switch value {
        case .int: return value
        case .uint(let number):
            return number > UInt64(Int64.max) ? .fail("uint out of int range: \(number)") : .int(Int64(number))
        case .double(let number):
            // Only doubles strictly inside the int range convert (truncating toward zero).
            guard number.isFinite, number > -9_223_372_036_854_775_809.0, number < 9_223_372_036_854_775_808.0,
                  let whole = Int64(exactly: number.rounded(.towardZero)) else {
                return .fail("double out of int range: \(CELLiteral.format(double: number))")
            }
            return .int(whole)
        case .string(let text):
            return Int64(text).map(CELValue.int) ?? .fail("cannot convert \(CELLiteral.format(value)) to int")
        case .timestamp(let timestamp): return .int(timestamp.seconds)
        default: return .noOverload("int", value)
        }
    }

    static func toUInt(_ value: CELValue) -> CELValue {
        switch value {
        case .uint: return value
        case .int(let number): return number < 0 ? .fail("int out of uint range: \(number)") : .uint(UInt64(number))
        case .double(let number):
            guard number.isFinite, number > -1, number < 18_446_744_073_709_551_616.0,
                  let whole = UInt64(exactly: number.rounded(.towardZero)) else {
                return .fail("double out of uint range: \(CELLiteral.format(double: number))")
            }
            return .uint(whole)
        case .string(let text):
            return UInt64(text).map(CELValue.uint) ?? .fail("cannot convert \(CELLiteral.format(value)) to uint")
        default: return .noOverload("uint", value)
        }
    }

    static func toDouble(_ value: CELValue) -> CELValue {
        switch value {
        case .double: return value
        case .int(let number): return .double(Double(number))
        case .uint(let number): return .double(Double(number))
        case .string(let text):
            return parseDouble(text).map(CELValue.double) ?? .fail("cannot convert \(CELLiteral.format(value)) to double")
        default: return .noOverload("double", value)
        }
    }

    /// Decimal and exponent notation, plus `NaN`, `Infinity`, `-Infinity`, `inf` (any case).
    static func parseDouble(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || "+-.eE".utf8.contains($0) }) else { return nil }
        return Double(text)
    }

    static func toString(_ value: CELValue) -> CELValue {
        switch value {
        case .string: return value
        case .int(let number): return .string(String(number))
        case .uint(let number): return .string(String(number))
        case .double(let number): return .string(formatDouble(number))
        case .bool(let flag): return .string(flag ? "true" : "false")
        case .bytes(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else { return .fail("invalid UTF-8 in bytes, cannot convert to string") }
            return .string(text)
        case .timestamp(let timestamp): return .string(timestamp.rfc3339)
        case .duration(let duration): return .string(duration.text)
        default: return .noOverload("string", value)
        }
    }

    /// Go's `%g` with the shortest digits (what CEL implementations print for `string(double)`):
    /// `123.456`, `-0.0045`, `1e+06`, `1.5e-07`.
    static func formatDouble(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Inf" : "+Inf" }
        if number == 0 { return number.sign == .minus ? "-0" : "0" }
        // Shortest round-trip digits and decimal exponent, from Swift's own shortest printing.
        let text = "\(abs(number))"
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerDigits = String(parts[0])
        let fractionDigits = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerDigits + fractionDigits
        var pointPosition = integerDigits.count + exponent
        while digits.hasPrefix("0"), digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        let sign = number < 0 ? "-" : ""
        let decimalExponent = pointPosition - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            var out = sign + String(digits.first ?? "0")
            if digits.count > 1 { out += "." + digits.dropFirst() }
            let magnitude = abs(decimalExponent)
            out += (decimalExponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") + String(magnitude)
            return out
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }

    static func toBytes(_ value: CELValue) -> CELValue {
        switch value {
        case .bytes: return value
        case .string(let text): return .bytes(Array(text.utf8))
        default: return .noOverload("bytes", value)
        }
    }

    static func toBool(_ value: CELValue) -> CELValue {
        switch value {
        case .bool: return value
        case .string(let text):
            switch text {
            case "1", "t", "T", "true", "TRUE", "True": return .bool(true)
            case "0", "f", "F", "false", "FALSE", "False": return .bool(false)
            default: return .fail("cannot convert \(CELLiteral.format(value)) to bool")
            }
        default: return .noOverload("bool", value)
        }
    }

    static func toTimestamp(_ value: CELValue) -> CELValue {
        switch value {
        case .timestamp: return value
        case .string(let text):
            return CELTimestamp.parse(text).map(CELValue.timestamp) ?? .fail("invalid or out-of-range timestamp \(CELLiteral.format(value))")
        case .int(let seconds):
            return CELTimestamp(seconds: seconds).map(CELValue.timestamp) ?? .fail("timestamp out of range")
        default: return .noOverload("timestamp", value)
        }
    }

    static func toDuration(_ value: CELValue) -> CELValue {
        switch value {
        case .duration: return value
        case .string(let text):
            return CELDuration.parse(text).map(CELValue.duration) ?? .fail("invalid or out-of-range duration \(CELLiteral.format(value))")
        default: return .noOverload("duration", value)
        }
    }
}
