import Diagnostics

/// Checks on the raw bytes before libyaml sees them. libyaml would guess UTF-16 from a few
/// bytes, stop at a NUL with a message about "control characters", and report invalid UTF-8
/// without a line; these checks say what is wrong in words and with a position.
enum InputScreen {
    struct Accepted {
        /// Bytes to skip before handing the rest to libyaml (a UTF-8 byte-order mark).
        var base: Int
        /// No byte at or after `base` is above 0x7F, so character indexes are byte offsets.
        var isASCII: Bool
        /// A lone CR, NEL, U+2028 or U+2029: libyaml breaks lines there, the line table doesn't.
        var hasIrregularLineBreaks: Bool
    }

    enum Outcome {
        case accepted(Accepted)
        case rejected
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func screen(_ file: SourceFile, into diagnostics: inout [Diagnostic]) -> Outcome {
        let bytes = file.bytes
        if let encoding = foreignEncoding(bytes) {
            diagnostics.append(Diagnostic(
                .unsupportedEncoding, .error,
                "file is encoded as \(encoding); flowc reads UTF-8 only",
                at: file.span(0..<min(bytes.count, 2)),
                notes: [Note("save the file as UTF-8 (without a byte-order mark)")]
            ))
            return .rejected
        }
        var base = 0
        if bytes.starts(with: byteOrderMark) {
            // A warning, not an error: YAML allows a BOM at the start of a stream and the text
            // after it is read exactly as without it. It is still worth removing, because
            // tools that concatenate or diff flow files show it as a stray character.
            let span = file.span(0..<3)
            diagnostics.append(Diagnostic(
                .byteOrderMark, .warning,
                "file starts with a UTF-8 byte-order mark",
                at: span,
                label: "invisible U+FEFF here",
                fixIts: [FixIt(span: span, replacement: "")]
            ))
            base = 3
        }
        switch validate(bytes, from: base) {
        case .valid(let isASCII, let hasIrregularLineBreaks):
            return .accepted(Accepted(base: base, isASCII: isASCII, hasIrregularLineBreaks: hasIrregularLineBreaks))
        case .nul(let offset):
            diagnostics.append(Diagnostic(
                .controlCharacter, .error,
                "file contains a NUL byte; is it a binary file?",
                at: file.span(offset..<offset + 1),
                label: "NUL byte"
            ))
            return .rejected
        case .invalid(let offset, let length):
            let byte = bytes[offset]
            diagnostics.append(Diagnostic(
                .invalidUTF8, .error,
                "file is not valid UTF-8: byte 0x\(hex(byte)) cannot appear here",
                at: file.span(offset..<min(offset + max(length, 1), bytes.count)),
                label: "invalid UTF-8",
                notes: [Note("flowc reads UTF-8 only; the file may be Latin-1 or Windows-1252, save it as UTF-8")]
            ))
            return .rejected
        }
    }

    /// Whether the file starts as plain UTF-8 would: no byte-order mark of any encoding, no
    /// sign of UTF-16 or UTF-32. What a file must show before it is cut into sections, whose
    /// bytes are validated when each is read.
    static func startsAsPlainUTF8(_ bytes: [UInt8]) -> Bool {
        foreignEncoding(bytes) == nil && !bytes.starts(with: byteOrderMark)
    }

    /// UTF-16 and UTF-32 show themselves by their byte-order marks, or by a NUL next to the
    /// first ASCII character.
    private static func foreignEncoding(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            return "UTF-32"
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            return "UTF-16"
        }
        if bytes.count >= 2, (bytes[0] == 0) != (bytes[1] == 0), bytes[0] < 0x80, bytes[1] < 0x80 {
            return "UTF-16"
        }
        return nil
    }

    enum Validation: Equatable {
        case valid(isASCII: Bool, hasIrregularLineBreaks: Bool)
        case nul(offset: Int)
        /// `length` is how many bytes belong to the broken sequence, for the span.
        case invalid(offset: Int, length: Int)
    }

    /// Validates UTF-8 per RFC 3629 (no overlong forms, no surrogates, nothing above U+10FFFF)
    /// and finds NUL bytes. Eight ASCII bytes are checked at a time, which keeps this pass
    /// far cheaper than libyaml's.
    static func validate(_ bytes: [UInt8], from start: Int) -> Validation {
        validate(bytes, in: min(max(start, 0), bytes.count)..<bytes.count)
    }

    /// Validates `bytes[range]` as ``validate(_:from:)`` does; a character may not run past
    /// the range's end.
    static func validate(_ bytes: [UInt8], in range: Range<Int>) -> Validation {
        bytes.withUnsafeBufferPointer { wholeBuffer in
            let buffer = UnsafeBufferPointer(rebasing: wholeBuffer[range.clamped(to: 0..<wholeBuffer.count)])
            let count = buffer.count
            var isASCII = true
            var hasIrregularLineBreaks = false
            var index = 0
            let offset = range.lowerBound
            guard let raw = UnsafeRawPointer(buffer.baseAddress) else {
                return .valid(isASCII: true, hasIrregularLineBreaks: false)
            }
            let highBits: UInt64 = 0x8080_8080_8080_8080
            let ones: UInt64 = 0x0101_0101_0101_0101
            let carriageReturns: UInt64 = 0x0D0D_0D0D_0D0D_0D0D
            while index < count {
                if index + 8 <= count {
                    let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let hasZero = (word &- ones) & ~word & highBits
                    let crs = word ^ carriageReturns
                    let hasCarriageReturn = (crs &- ones) & ~crs & highBits
                    if word & highBits == 0, hasZero | hasCarriageReturn == 0 {
                        index += 8
                        continue
                    }
                }
                let lead = buffer[index]
                if lead < 0x80 {
                    if lead == 0 { return .nul(offset: offset + index) }
                    if lead == 0x0D, index + 1 >= count || buffer[index + 1] != 0x0A {
                        hasIrregularLineBreaks = true
                    }
                    index += 1
                    continue
                }
                isASCII = false
                let length: Int
                var lowerBound: UInt8 = 0x80
                var upperBound: UInt8 = 0xBF
                switch lead {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; lowerBound = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; upperBound = 0x9F
                case 0xF0: length = 4; lowerBound = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; upperBound = 0x8F
                default: return .invalid(offset: offset + index, length: 1)
                }
                for continuation in 1..<length {
                    guard index + continuation < count else { return .invalid(offset: offset + index, length: continuation) }
                    let byte = buffer[index + continuation]
                    let low = continuation == 1 ? lowerBound : 0x80
                    let high = continuation == 1 ? upperBound : 0xBF
                    guard byte >= low, byte <= high else { return .invalid(offset: offset + index, length: continuation) }
                }
                // NEL (C2 85), LS (E2 80 A8) and PS (E2 80 A9) are line breaks to libyaml.
                if lead == 0xC2, buffer[index + 1] == 0x85 {
                    hasIrregularLineBreaks = true
                } else if lead == 0xE2, buffer[index + 1] == 0x80, buffer[index + 2] & 0xFE == 0xA8 {
                    hasIrregularLineBreaks = true
                }
                index += length
            }
            return .valid(isASCII: isASCII, hasIrregularLineBreaks: hasIrregularLineBreaks)
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
