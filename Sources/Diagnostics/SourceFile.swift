/// A position in a source file: a UTF-8 byte offset, and the 1-based line and column that people
/// read. Columns count Unicode scalar values, not bytes, so carets line up under non-ASCII text.
public struct SourcePosition: Hashable, Sendable, Comparable, Codable {
    public var offset: Int
    public var line: Int
    public var column: Int

    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        lhs.offset < rhs.offset
    }
}

/// A half-open range of a file: `start` is the first byte, `end` the first byte after.
public struct SourceSpan: Hashable, Sendable, Codable {
    public var file: String
    public var start: SourcePosition
    public var end: SourcePosition

    public init(file: String, start: SourcePosition, end: SourcePosition) {
        self.file = file
        self.start = start
        self.end = end < start ? start : end
    }

    /// A span for things that have no file position (command-line arguments, whole files).
    public static func whole(file: String) -> SourceSpan {
        let origin = SourcePosition(offset: 0, line: 1, column: 1)
        return SourceSpan(file: file, start: origin, end: origin)
    }

    public var isEmpty: Bool { start.offset == end.offset }
}

/// The bytes of one input file with a line table, so that offsets convert to lines and
/// columns once, in one place.
public final class SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    /// Byte offset of the first byte of each line; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        self.lineStarts = Self.lineStarts(of: bytes)
    }

    private init(path: String, bytes: [UInt8], lineStarts: [Int]) {
        self.path = path
        self.bytes = bytes
        self.lineStarts = lineStarts
    }

    /// The same file, bytes and line table shared, with a path whose string storage is its
    /// own. Every span holds the path, and a path over 15 bytes is a heap string: threads that
    /// make spans of one file would all retain and release that one string, and contend for
    /// its reference count. A thread working on part of a file takes its own copy.
    public func withOwnPath() -> SourceFile {
        SourceFile(path: String(decoding: Array(path.utf8), as: UTF8.self), bytes: bytes, lineStarts: lineStarts)
    }

    private static func lineStarts(of bytes: [UInt8]) -> [Int] {
        var starts = [0]
        while let lineBreak = bytes.index(of: UInt8(ascii: "\n"), from: starts[starts.count - 1]) {
            starts.append(lineBreak + 1)
        }
        return starts
    }

    public convenience init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    public var lineCount: Int { lineStarts.count }

    /// The position of a byte offset; offsets past the end clamp to the end of the file.
    public func position(atOffset rawOffset: Int) -> SourcePosition {
        let offset = max(0, min(rawOffset, bytes.count))
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        let lineStart = lineStarts[low]
        return SourcePosition(offset: offset, line: low + 1, column: Self.scalarCount(bytes[lineStart..<offset]) + 1)
    }

    /// The byte offset of a 1-based line and a 1-based column counted in Unicode scalars.
    /// Out-of-range lines or columns clamp to the nearest valid offset.
    public func offset(line: Int, column: Int) -> Int {
        guard line >= 1 else { return 0 }
        guard line <= lineStarts.count else { return bytes.count }
        var offset = lineStarts[line - 1]
        let lineEnd = lineEndOffset(line: line)
        var remaining = column - 1
        while remaining > 0, offset < lineEnd {
            offset += 1
            while offset < lineEnd, Self.isContinuation(bytes[offset]) { offset += 1 }
            remaining -= 1
        }
        return offset
    }

    public func span(_ range: Range<Int>) -> SourceSpan {
        SourceSpan(file: path, start: position(atOffset: range.lowerBound), end: position(atOffset: range.upperBound))
    }

    public func span(from start: Int, to end: Int) -> SourceSpan {
        span(min(start, end)..<max(start, end))
    }

    /// The offset just past the last character of a line, before its line break.
    public func lineEndOffset(line: Int) -> Int {
        guard line >= 1, line <= lineStarts.count else { return bytes.count }
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > lineStarts[line - 1], end - 1 < bytes.count, end >= 1, bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return max(end, lineStarts[line - 1])
    }

    /// The text of a 1-based line without its line break; invalid UTF-8 is repaired.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        return String(decoding: bytes[lineStarts[line - 1]..<lineEndOffset(line: line)], as: UTF8.self)
    }

    public func text(_ range: Range<Int>) -> String {
        let lower = max(0, min(range.lowerBound, bytes.count))
        let upper = max(lower, min(range.upperBound, bytes.count))
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }

    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    static func scalarCount(_ slice: ArraySlice<UInt8>) -> Int {
        var count = 0
        for byte in slice where !isContinuation(byte) { count += 1 }
        return count
    }
}
