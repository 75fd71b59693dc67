import Diagnostics

/// Turns libyaml's marks into file positions.
///
/// libyaml 0.2.5 counts a mark's `index` in characters (Unicode scalars) from the start of its
/// input and its `column` in characters from the start of the line, and it breaks lines at a
/// lone CR, NEL, U+2028 and U+2029 as well as at LF. ``SourceFile`` splits lines at LF only.
/// So:
/// - all-ASCII input: the index is the byte offset (O(1));
/// - other input with LF/CR LF line breaks only: libyaml's line is the line table's line, and
///   the column is a byte offset on ASCII lines, or a short walk on the few other lines;
/// - input with the exotic line breaks: a cursor walks the bytes from the previous mark by
///   index; events arrive in file order, so this is linear in the file size too.
struct MarkConverter {
    private enum Strategy {
        case ascii
        case lines
        case walk
    }

    private let bytes: [UInt8]
    private let lineStarts: [Int]
    /// Where libyaml's input starts in the file: after a byte-order mark, or at the start of
    /// a section (see ``YAMLSection``).
    private let base: Int
    /// The 0-based file line holding `base`; libyaml's line 0.
    private let baseLine: Int
    private let strategy: Strategy
    /// For `.lines`: whether each line from `baseLine` on is plain ASCII.
    private let lineIsASCII: [Bool]

    // The `.walk` cursor: a character index and where it is in the file.
    private var index = 0
    private var offset: Int
    private var line: Int
    private var column: Int

    // The `.lines` cursor inside the last non-ASCII line.
    private var cursorLine = -1
    private var cursorColumn = 0
    private var cursorOffset = 0

    /// `input` is the part of the file libyaml reads: from `base` (0, 3 after a byte-order
    /// mark, or a section's first line) to its end.
    init(file: SourceFile, input: Range<Int>, isASCII: Bool, hasIrregularLineBreaks: Bool) {
        bytes = file.bytes
        lineStarts = file.lineStarts
        base = input.lowerBound
        let origin = file.position(atOffset: base)
        baseLine = origin.line - 1
        let startsLine = lineStarts.indices.contains(baseLine) && lineStarts[baseLine] == base
        if isASCII && startsLine {
            strategy = .ascii
            lineIsASCII = []
        } else if hasIrregularLineBreaks {
            strategy = .walk
            lineIsASCII = []
        } else {
            strategy = .lines
            lineIsASCII = Self.asciiLines(file.bytes, lineStarts: file.lineStarts, from: baseLine, upTo: input.upperBound)
        }
        offset = origin.offset
        line = origin.line - 1
        column = origin.column - 1
    }

    /// The file position of a libyaml mark. Inlined: the composer asks it two or three times
    /// per node (measured: the call cost a third of the conversion).
    @inline(__always)
    mutating func position(of mark: Mark) -> SourcePosition {
        switch strategy {
        case .ascii:
            return asciiPosition(ofOffset: min(max(base + mark.index, 0), bytes.count))
        case .lines:
            return linePosition(line: baseLine + mark.line, isInputStart: mark.line == 0, column: mark.column)
        case .walk:
            if mark.index >= index {
                walkForward(to: mark.index)
            } else {
                walkBackward(to: mark.index)
            }
            return SourcePosition(offset: offset, line: line + 1, column: column + 1)
        }
    }

    /// The file position of a byte offset of libyaml's input (reader errors report those).
    mutating func position(ofInputOffset inputOffset: Int) -> SourcePosition {
        let target = min(max(base + inputOffset, 0), bytes.count)
        if case .ascii = strategy { return asciiPosition(ofOffset: target) }
        // Reader errors happen once per file: a scan from the line start is fine here.
        let lineIndex = Self.lineIndex(of: target, in: lineStarts)
        var scalars = 0
        for position in lineStarts[lineIndex]..<target where bytes[position] & 0xC0 != 0x80 {
            scalars += 1
        }
        return SourcePosition(offset: target, line: lineIndex + 1, column: scalars + 1)
    }

    @inline(__always)
    private mutating func asciiPosition(ofOffset target: Int) -> SourcePosition {
        let lastLine = lineStarts.count - 1
        if target >= lineStarts[line] {
            if line < lastLine, target >= lineStarts[line + 1] {
                line += 1
                if line < lastLine, target >= lineStarts[line + 1] {
                    line = Self.lineIndex(of: target, in: lineStarts)
                }
            }
        } else {
            line = Self.lineIndex(of: target, in: lineStarts)
        }
        return SourcePosition(offset: target, line: line + 1, column: target - lineStarts[line] + 1)
    }

    private mutating func linePosition(line: Int, isInputStart: Bool, column: Int) -> SourcePosition {
        guard line < lineStarts.count, line - baseLine < lineIsASCII.count else { return asciiPosition(ofOffset: bytes.count) }
        // On the first line of a file with a byte-order mark, libyaml's columns start after
        // it, while the line table counts it as a character.
        let lineStart = isInputStart ? base : lineStarts[line]
        let shift = isInputStart && base > lineStarts[line] ? 1 : 0
        if lineIsASCII[line - baseLine] {
            let target = min(lineStart + column, bytes.count)
            return SourcePosition(offset: target, line: line + 1, column: target - lineStart + 1 + shift)
        }
        var walked = 0
        var target = lineStart
        if cursorLine == line, cursorColumn <= column {
            walked = cursorColumn
            target = cursorOffset
        }
        let count = bytes.count
        while walked < column, target < count {
            target += Self.width(ofLeadByte: bytes[target])
            walked += 1
        }
        target = min(target, count)
        cursorLine = line
        cursorColumn = walked
        cursorOffset = target
        return SourcePosition(offset: target, line: line + 1, column: walked + 1 + shift)
    }

    /// Marks the lines from `firstLine` to the one holding `end` (included, for marks at the
    /// end of the input) that hold a byte above 0x7F before `end`;
    /// eight bytes are tested at a time and a line is skipped once it is known to be non-ASCII.
    private static func asciiLines(_ bytes: [UInt8], lineStarts: [Int], from firstLine: Int, upTo end: Int) -> [Bool] {
        let start = lineStarts.indices.contains(firstLine) ? lineStarts[firstLine] : bytes.count
        let stop = min(max(end, start), bytes.count)
        let lastLine = lineIndex(of: stop, in: lineStarts)
        var result = [Bool](repeating: true, count: max(0, lastLine - firstLine + 1))
        bytes.withUnsafeBufferPointer { buffer in
            guard let raw = UnsafeRawPointer(buffer.baseAddress) else { return }
            var position = start
            while position < stop {
                if position + 8 <= stop,
                   raw.loadUnaligned(fromByteOffset: position, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    position += 8
                    continue
                }
                guard buffer[position] >= 0x80 else {
                    position += 1
                    continue
                }
                let line = lineIndex(of: position, in: lineStarts)
                if result.indices.contains(line - firstLine) { result[line - firstLine] = false }
                position = line + 1 < lineStarts.count ? lineStarts[line + 1] : stop
            }
        }
        return result
    }

    private mutating func walkForward(to target: Int) {
        let count = bytes.count
        while index < target, offset < count {
            let byte = bytes[offset]
            if byte == 0x0A {
                line += 1
                column = 0
                offset += 1
            } else {
                column += 1
                offset += Self.width(ofLeadByte: byte)
            }
            index += 1
        }
        offset = min(offset, count)
    }

    private mutating func walkBackward(to target: Int) {
        while index > target, offset > base {
            offset -= 1
            while offset > base, bytes[offset] & 0xC0 == 0x80 { offset -= 1 }
            index -= 1
            if bytes[offset] == 0x0A {
                line -= 1
                var scalars = 0
                for position in lineStarts[line]..<offset where bytes[position] & 0xC0 != 0x80 {
                    scalars += 1
                }
                column = scalars
            } else {
                column -= 1
            }
        }
    }

    private static func width(ofLeadByte byte: UInt8) -> Int {
        switch byte {
        case 0..<0x80: return 1
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    /// The 0-based line holding `offset`: the last line start at or before it.
    static func lineIndex(of offset: Int, in lineStarts: [Int]) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }
}
