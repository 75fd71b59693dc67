/// One token of CEL text; `range` is in UTF-8 bytes of the expression.
struct Token {
    enum Kind: Equatable {
        case identifier(String)
        /// A backquoted field name: `` a.`content-type` ``.
        case quotedIdentifier(String)
        /// The digits of an int literal, not yet range-checked (a leading `-` may still apply).
        case int(magnitude: UInt64, overflowed: Bool)
        case uint(UInt64)
        case double(Double)
        case string(String)
        case bytes([UInt8])
        case punctuation(String)
        case end
    }

    var kind: Kind
    var range: Range<Int>
}

/// Splits an expression into tokens. Fails with a positioned issue on the first bad token.
struct Lexer {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func tokenize(_ bytes: [UInt8]) -> Result<[Token], CELIssue> {
        var lexer = Lexer(bytes)
        var tokens: [Token] = []
        while true {
            switch lexer.next() {
            case .success(let token):
                tokens.append(token)
                if token.kind == .end { return .success(tokens) }
            case .failure(let issue):
                return .failure(issue)
            }
        }
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 48...57: return UInt32(byte - 48)
        case 65...70: return UInt32(byte - 55)
        case 97...102: return UInt32(byte - 87)
        default: return nil
        }
    }

    mutating func next() -> Result<Token, CELIssue> {
        skipTrivia()
        guard let byte = peek() else { return .success(Token(kind: .end, range: bytes.count..<bytes.count)) }
        let start = index
        if Self.isIdentifierStart(byte) {
            while let next = peek(), Self.isIdentifierStart(next) || Self.isDigit(next) { index += 1 }
            let word = String(decoding: bytes[start..<index], as: UTF8.self)
            if let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                let lower = word.lowercased()
                if ["r", "b", "rb", "br"].contains(lower) {
                    return lexString(start: start, raw: lower.contains("r"), bytes: lower.contains("b"))
                }
            }
            return .success(Token(kind: .identifier(word), range: start..<index))
        }
        if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true) {
            return lexNumber(start: start)
        }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            return lexString(start: start, raw: false, bytes: false)
        }
        if byte == UInt8(ascii: "`") {
            index += 1
            while let next = peek(), next != UInt8(ascii: "`"), next != 10, next != 13 { index += 1 }
            guard peek() == UInt8(ascii: "`"), index > start + 1 else {
                return .failure(CELIssue(.celSyntax, "unterminated or empty quoted field name", at: start..<index, label: "expected a closing backquote"))
            }
            index += 1
            let name = String(decoding: bytes[start + 1..<index - 1], as: UTF8.self)
            return .success(Token(kind: .quotedIdentifier(name), range: start..<index))
        }
        for operatorText in ["==", "!=", "<=", ">=", "&&", "||"] where matches(operatorText) {
            index += 2
            return .success(Token(kind: .punctuation(operatorText), range: start..<index))
        }
        if "+-*/%<>!?:.,()[]{}".utf8.contains(byte) {
            index += 1
            return .success(Token(kind: .punctuation(String(UnicodeScalar(byte))), range: start..<index))
        }
        // Report the whole character, not one byte of it.
        index += 1
        while let next = peek(), next & 0xC0 == 0x80 { index += 1 }
        let character = String(decoding: bytes[start..<index], as: UTF8.self)
        return .failure(CELIssue(.celSyntax, "unexpected character `\(character)`", at: start..<index, label: "not part of CEL"))
    }

    private func matches(_ text: String) -> Bool {
        var offset = 0
        for byte in text.utf8 {
            guard peek(offset) == byte else { return false }
            offset += 1
        }
        return true
    }

    private mutating func skipTrivia() {
        while let byte = peek() {
            if byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == 12 {
                index += 1
            } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while let next = peek(), next != 10 { index += 1 }
            } else {
                return
            }
        }
    }

    private mutating func lexNumber(start: Int) -> Result<Token, CELIssue> {
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            index += 2
            let digitsStart = index
            var magnitude: UInt64 = 0
            var overflowed = false
            while let byte = peek(), let digit = Self.hexValue(byte) {
                let (shifted, o1) = magnitude.multipliedReportingOverflow(by: 16)
                let (added, o2) = shifted.addingReportingOverflow(UInt64(digit))
                overflowed = overflowed || o1 || o2
                magnitude = added
                index += 1
            }
            guard index > digitsStart else {
                return .failure(CELIssue(.celSyntax, "expected hexadecimal digits after `0x`", at: start..<index))
            }
            return integerToken(start: start, magnitude: magnitude, overflowed: overflowed)
        }
        var isDouble = false
        while let byte = peek(), Self.isDigit(byte) { index += 1 }
        if peek() == UInt8(ascii: "."), let after = peek(1), Self.isDigit(after) {
            isDouble = true
            index += 1
            while let byte = peek(), Self.isDigit(byte) { index += 1 }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var lookahead = 1
            if let sign = peek(1), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { lookahead = 2 }
            if let digit = peek(lookahead), Self.isDigit(digit) {
                isDouble = true
                index += lookahead
                while let byte = peek(), Self.isDigit(byte) { index += 1 }
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isDouble {
            guard let value = Double(text) else {
                return .failure(CELIssue(.celSyntax, "invalid number `\(text)`", at: start..<index))
            }
            return .success(Token(kind: .double(value), range: start..<index))
        }
        var magnitude: UInt64 = 0
        var overflowed = false
        for byte in text.utf8 {
            let (shifted, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(UInt64(byte - 48))
            overflowed = overflowed || o1 || o2
            magnitude = added
        }
        return integerToken(start: start, magnitude: magnitude, overflowed: overflowed)
    }

    private mutating func integerToken(start: Int, magnitude: UInt64, overflowed: Bool) -> Result<Token, CELIssue> {
        if let suffix = peek(), suffix == UInt8(ascii: "u") || suffix == UInt8(ascii: "U") {
            index += 1
            guard !overflowed else {
                return .failure(CELIssue(.celSyntax, "unsigned integer literal out of range", at: start..<index, label: "larger than 18446744073709551615u"))
            }
            return .success(Token(kind: .uint(magnitude), range: start..<index))
        }
        return .success(Token(kind: .int(magnitude: magnitude, overflowed: overflowed), range: start..<index))
    }

    private mutating func lexString(start: Int, raw: Bool, bytes isBytes: Bool) -> Result<Token, CELIssue> {
        guard let quote = peek() else { return .failure(CELIssue(.celSyntax, "unterminated string", at: start..<index)) }
        let triple = peek(1) == quote && peek(2) == quote
        index += triple ? 3 : 1
        var scalars: [UInt32] = []
        var octets: [UInt8] = []
        func appendScalar(_ value: UInt32) {
            if isBytes {
                if let scalar = Unicode.Scalar(value) { octets.append(contentsOf: Array(String(Character(scalar)).utf8)) }
            } else {
                scalars.append(value)
            }
        }
        func appendOctet(_ value: UInt32) {
            if isBytes { octets.append(UInt8(truncatingIfNeeded: value)) } else { scalars.append(value) }
        }
        while true {
            guard let byte = peek() else {
                return .failure(CELIssue(.celSyntax, "unterminated string literal", at: start..<bytes.count, label: "the closing quote is missing"))
            }
            if byte == quote && (!triple || (peek(1) == quote && peek(2) == quote)) {
                index += triple ? 3 : 1
                break
            }
            if !triple, byte == 10 || byte == 13 {
                return .failure(CELIssue(.celSyntax, "line break in a quoted string", at: start..<index, label: "use `\\n` or a triple-quoted string"))
            }
            if byte == UInt8(ascii: "\\"), !raw {
                let escapeStart = index
                index += 1
                guard let kind = peek() else { continue }
                index += 1
                switch kind {
                case UInt8(ascii: "a"): appendOctet(7)
                case UInt8(ascii: "b"): appendOctet(8)
                case UInt8(ascii: "f"): appendOctet(12)
                case UInt8(ascii: "n"): appendOctet(10)
                case UInt8(ascii: "r"): appendOctet(13)
                case UInt8(ascii: "t"): appendOctet(9)
                case UInt8(ascii: "v"): appendOctet(11)
                case UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
                    appendOctet(UInt32(kind))
                case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = kind == UInt8(ascii: "u") ? 4 : kind == UInt8(ascii: "U") ? 8 : 2
                    var value: UInt32 = 0
                    for _ in 0..<count {
                        guard let digit = peek().flatMap(Self.hexValue) else {
                            return .failure(CELIssue(.celSyntax, "invalid escape sequence", at: escapeStart..<index, label: "expected \(count) hexadecimal digits"))
                        }
                        value = value << 4 | digit
                        index += 1
                    }
                    if count == 2 {
                        appendOctet(value)
                    } else {
                        if isBytes && count == 8 {
                            return .failure(CELIssue(.celSyntax, "`\\U` escape in a bytes literal", at: escapeStart..<index))
                        }
                        guard Unicode.Scalar(value) != nil else {
                            return .failure(CELIssue(.celSyntax, "invalid Unicode code point in escape", at: escapeStart..<index, label: "not a Unicode scalar value"))
                        }
                        appendScalar(value)
                    }
                case UInt8(ascii: "0")...UInt8(ascii: "3"):
                    var value = UInt32(kind - 48)
                    for _ in 0..<2 {
                        guard let digit = peek(), digit >= 48, digit <= 55 else {
                            return .failure(CELIssue(.celSyntax, "invalid octal escape", at: escapeStart..<index, label: "expected three octal digits"))
                        }
                        value = value << 3 | UInt32(digit - 48)
                        index += 1
                    }
                    appendOctet(value)
                default:
                    return .failure(CELIssue(.celSyntax, "invalid escape sequence", at: escapeStart..<index, label: "not a CEL escape"))
                }
                continue
            }
            // A raw byte: copy the whole UTF-8 sequence.
            let characterStart = index
            index += 1
            while let next = peek(), next & 0xC0 == 0x80 { index += 1 }
            if isBytes {
                octets.append(contentsOf: bytes[characterStart..<index])
            } else {
                for scalar in String(decoding: bytes[characterStart..<index], as: UTF8.self).unicodeScalars {
                    scalars.append(scalar.value)
                }
            }
        }
        if isBytes { return .success(Token(kind: .bytes(octets), range: start..<index)) }
        var text = ""
        text.unicodeScalars.reserveCapacity(scalars.count)
        for value in scalars {
            if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
        }
        return .success(Token(kind: .string(text), range: start..<index))
    }
}
