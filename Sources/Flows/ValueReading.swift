import Catalog
import Diagnostics
import YAML

extension YAMLScalar {
    /// ``isNull``, with a test of the length and first byte that rules out nearly all text
    /// made here: asked for every key and value, and the call into the YAML module for each
    /// (with its comparisons) was measurable.
    @inline(__always)
    var isNullValue: Bool {
        let utf8 = value.utf8
        switch utf8.count {
        case 0: return isNull
        case 1: return utf8.first == UInt8(ascii: "~") && isNull
        case 4: return (utf8.first == UInt8(ascii: "n") || utf8.first == UInt8(ascii: "N")) && isNull
        default: return false
        }
    }
}

/// What a node is, for "expected a mapping, found …" messages.
func foundDescription(_ node: YAMLNode) -> String {
    switch node.kind {
    case .mapping: return "a mapping"
    case .sequence: return "a sequence"
    case .scalar(let scalar):
        if scalar.isNullValue { return "nothing" }
        let shown = scalar.value.count > 40 ? String(scalar.value.prefix(37)) + "..." : scalar.value
        let oneLine = shown.replacingOccurrences(of: "\n", with: "\\n")
        return scalar.style == .plain ? "`\(oneLine)`" : "the string `\(oneLine)`"
    }
}

/// Whether text is empty or only whitespace. ASCII text is judged by its bytes; the first
/// non-ASCII byte hands over to `Character`, which knows the other blanks (`U+00A0`, ...).
func isBlank(_ text: String) -> Bool {
    for byte in text.utf8 {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D: continue
        case 0x80...: return text.allSatisfy(\.isWhitespace)
        default: return false
        }
    }
    return true
}

/// What a catalog type expects, in words.
func expectedDescription(_ type: CatalogType) -> String {
    switch type {
    case .string: return "a string"
    case .int: return "an integer"
    case .uint: return "a non-negative integer"
    case .double: return "a number"
    case .bool: return "`true` or `false`"
    case .bytes: return "a string"
    case .timestamp: return "a timestamp"
    case .duration: return "a duration such as `10s` or `1m30s`"
    case .dyn: return "a value"
    case .null: return "nothing"
    case .list: return "a sequence"
    case .map, .record: return "a mapping"
    }
}

/// Identifiers as CEL selects them: `actions.ID`, `vars.NAME`, loop variables.
enum Identifier {
    static let celReservedWords: Set<String> = [
        "as", "break", "const", "continue", "else", "false", "for", "function", "if", "import", "in",
        "let", "loop", "package", "namespace", "null", "return", "true", "var", "void", "while",
    ]

    /// The reserved words by length (`reservedWordsByLength[n]` holds those of `n` bytes):
    /// checked for every id and name, where comparing the few words of the same length
    /// measured cheaper than hashing the name for the set, and than testing the length of
    /// all 21 words (about 300 instructions a name).
    private static let reservedWordsByLength: [[String]] = {
        var lists = [[String]](repeating: [], count: (celReservedWords.map(\.utf8.count).max() ?? 0) + 1)
        for word in celReservedWords.sorted() { lists[word.utf8.count].append(word) }
        return lists
    }()

    static func isReserved(_ text: String) -> Bool {
        let count = text.utf8.count
        let lists = reservedWordsByLength
        guard count < lists.count else { return false }
        return lists[count].contains(text)
    }

    static func isValid(_ text: String) -> Bool {
        // Every valid character is ASCII, so bytes decide (a byte of a longer character is
        // neither a letter nor a digit).
        var text = text
        return text.withUTF8 { bytes in
            guard let first = bytes.first, isStart(first) else { return false }
            for byte in bytes where !(isStart(byte) || isDigit(byte)) { return false }
            return true
        }
    }

    private static func isStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }

    /// `send-mail` → `send_mail`, when that makes a valid identifier.
    static func repaired(_ text: String) -> String? {
        var out = ""
        for scalar in text.unicodeScalars {
            if isStart(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar == "-" || scalar == " " || scalar == "." {
                out += "_"
            } else {
                return nil
            }
        }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "_" + out }
        return isValid(out) && !isReserved(out) ? out : nil
    }
}

/// Flow names: `[a-z0-9][a-z0-9._-]*`.
enum FlowName {
    static func isValid(_ text: String) -> Bool {
        // Every valid character is ASCII, so bytes decide.
        var text = text
        return text.withUTF8 { bytes in
            guard let first = bytes.first, isStart(first) else { return false }
            return bytes.allSatisfy { isStart($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    static func repaired(_ text: String) -> String? {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if isStart(scalar) || scalar == "." || scalar == "_" || scalar == "-" {
                out.unicodeScalars.append(scalar)
            } else if scalar == " " {
                out += "-"
            } else {
                return nil
            }
        }
        while let first = out.unicodeScalars.first, !isStart(first) { out.removeFirst() }
        return isValid(out) ? out : nil
    }
}

/// Numbers as flows write them: plain scalars in decimal notation only (no `0x`, `.inf`, `1_000`).
enum NumberSyntax {
    enum IntResult { case value(Int64), notAnInteger, outOfRange }

    static func integer(_ text: String) -> IntResult {
        // Nearly every integer written is a few ASCII digits: read them from the bytes in
        // place (the general path below cost about 900 instructions for `3`, measured).
        var bytes = text
        if let value = bytes.withUTF8({ shortDecimal($0) }) { return .value(value) }
        var scalars = Substring(text)
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        guard !scalars.isEmpty, scalars.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else { return .notAnInteger }
        guard let magnitude = Int64(scalars) else {
            // `-9223372036854775808` does not fit a positive Int64 but is an Int64.
            if negative, let full = Int64("-" + scalars) { return .value(full) }
            return .outOfRange
        }
        return .value(negative ? -magnitude : magnitude)
    }

    /// An optional sign and 1 to 18 ASCII digits (which cannot overflow), else nil.
    private static func shortDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            index = 1
        }
        guard bytes.count > index, bytes.count - index <= 18 else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    enum DoubleResult { case value(Double), notANumber, outOfRange }

    static func number(_ text: String) -> DoubleResult {
        guard isDecimalNotation(text), let value = Double(text) else { return .notANumber }
        return value.isFinite ? .value(value) : .outOfRange
    }

    private static func isDecimalNotation(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isDecimalNotation(bytes: $0) }
    }

    /// An optional sign, digits with at most one `.`, then optionally `e` or `E`, a sign and
    /// digits. Read from the UTF-8 bytes by index: the notation is ASCII, so a byte of any
    /// other character fails it (a generic version over a lazy map of the bytes cost about
    /// 1,000 instructions for `12.5`, measured).
    private static func isDecimalNotation(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
        func isSign(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") }
        var index = 0
        if index < bytes.count, isSign(bytes[index]) { index += 1 }
        var mantissaDigits = 0
        var seenDot = false
        while index < bytes.count, isDigit(bytes[index]) || (bytes[index] == UInt8(ascii: ".") && !seenDot) {
            if bytes[index] == UInt8(ascii: ".") { seenDot = true } else { mantissaDigits += 1 }
            index += 1
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, isSign(bytes[index]) { index += 1 }
            guard index < bytes.count else { return false }
            while index < bytes.count {
                guard isDigit(bytes[index]) else { return false }
                index += 1
            }
            return true
        }
        return index == bytes.count
    }
}

/// YAML 1.1 booleans other than `true`/`false`, which flowc reads as strings.
enum YAML11Bool {
    static let words: Set<String> = ["yes", "no", "on", "off", "y", "n"]

    static func meaning(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "on", "y": return true
        case "no", "off", "n": return false
        case "true": return true
        case "false": return false
        default: return nil
        }
    }
}

/// `Suggestions.closest`, skipped for names too long to be typos of a name: edit distance is
/// quadratic in the length, and hostile files may hold thousands of long names.
func boundedClosest(to name: String, in candidates: [String]) -> String? {
    let longest = 64
    guard name.utf8.count <= longest else { return nil }
    return Suggestions.closest(to: name, in: candidates.filter { $0.utf8.count <= longest })
}
