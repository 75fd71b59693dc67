import Diagnostics
import YAML

/// A place in a flow where CEL stands: the hook where expression typing plugs in. Offsets
/// of parts are UTF-8 offsets into the scalar's value; ``ScalarSourceMap`` turns them into
/// file positions, also inside quoted and block scalars.
public struct ExpressionSite: Sendable {
    public enum Role: String, Sendable, Hashable {
        /// A bare expression that must be a `bool` (`conditions`, `if`, `condition`).
        case condition
        /// A bare expression of another type (`foreach.items`, `switch.on`, a trigger `filter`).
        case bareExpression
        /// A scalar that is exactly `${{ EXPR }}`: it has EXPR's type.
        case wholeValue
        /// Text around one or more `${{ }}`: a string.
        case template
    }

    /// The site's fields, shared: a site is handed from the flow's values to its action, its
    /// scoped expression and the typing pass, and as one reference each of those is a retain
    /// rather than a copy of two hundred bytes holding a span and four strings (measured).
    @usableFromInline
    struct Fields: Sendable {
        @usableFromInline var role: Role
        @usableFromInline var text: String
        @usableFromInline var style: ScalarStyle
        @usableFromInline var span: SourceSpan
        @usableFromInline var parts: [TemplatePart]
        @usableFromInline var expectedType: String
        @usableFromInline var file: SourceFile?
        /// A source map set from outside; nil for the map of the site's own scalar, which is
        /// made when asked for rather than stored (its value, style and span are the site's).
        @usableFromInline var customMap: ScalarSourceMap?
    }

    @usableFromInline
    final class Storage: Sendable {
        @usableFromInline let fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var storage: Storage

    public var role: Role {
        @inlinable get { storage.fields.role }
        set { update { $0.role = newValue } }
    }
    /// The scalar's value, after YAML unescaping.
    public var text: String {
        @inlinable get { storage.fields.text }
        set { update { $0.text = newValue } }
    }
    public var style: ScalarStyle {
        @inlinable get { storage.fields.style }
        set { update { $0.style = newValue } }
    }
    /// The span of the scalar node in the file.
    public var span: SourceSpan {
        @inlinable get { storage.fields.span }
        set { update { $0.span = newValue } }
    }
    /// The literal and expression parts; one expression part for bare and whole values.
    public var parts: [TemplatePart] {
        @inlinable get { storage.fields.parts }
        set { update { $0.parts = newValue } }
    }
    /// The type the context expects, as a catalog type expression (`bool`, `string`,
    /// `list(int)`, `dyn`).
    public var expectedType: String {
        @inlinable get { storage.fields.expectedType }
        set { update { $0.expectedType = newValue } }
    }
    /// Maps offsets in `text` to file positions.
    public var sourceMap: ScalarSourceMap {
        get {
            let fields = storage.fields
            return fields.customMap ?? ScalarSourceMap(value: fields.text, style: fields.style, span: fields.span, file: fields.file)
        }
        set { update { $0.customMap = newValue } }
    }

    /// A site of the scalar `text` written at `span` in `file`, whose source map is that scalar's.
    init(role: Role, text: String, style: ScalarStyle, span: SourceSpan, parts: [TemplatePart], expectedType: String, file: SourceFile?) {
        storage = Storage(Fields(
            role: role, text: text, style: style, span: span, parts: parts, expectedType: expectedType, file: file, customMap: nil))
    }

    init(
        role: Role, text: String, style: ScalarStyle, span: SourceSpan, parts: [TemplatePart], expectedType: String,
        sourceMap: ScalarSourceMap
    ) {
        storage = Storage(Fields(
            role: role, text: text, style: style, span: span, parts: parts, expectedType: expectedType, file: sourceMap.file,
            customMap: sourceMap))
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = storage.fields
        change(&fields)
        storage = Storage(fields)
    }

    /// The expression parts only.
    public var expressions: [TemplatePart] { parts.filter(\.isExpression) }

    /// The file span of a part (or of any range of `text`).
    public func span(of range: Range<Int>) -> SourceSpan { sourceMap.span(of: range) }
}

/// A piece of a template: literal text (with `$${{` already unescaped) or the source of one
/// expression, with its UTF-8 range in the scalar's value.
public struct TemplatePart: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case literal, expression }

    public var kind: Kind
    public var text: String
    public var range: Range<Int>

    public var isExpression: Bool { kind == .expression }
}

/// Splits scalar text into literal and `${{ … }}` parts.
public enum TemplateSplitter {
    public struct Result: Sendable {
        public var parts: [TemplatePart]
        /// Offset of a `${{` that has no closing `}}`.
        public var unterminatedAt: Int?

        public var hasExpressions: Bool { parts.contains(where: \.isExpression) }
    }

    /// `${{` opens an expression, `$${{` is a literal `${{`, and an expression ends at the
    /// first `}}` outside string literals and braces, so map literals nest.
    public static func split(_ text: String) -> Result {
        // Most scalars hold no `$` at all: one literal part, found without copying the text.
        guard YAMLScalar.contains(UInt8(ascii: "$"), in: text) else {
            let count = text.utf8.count
            return Result(parts: count == 0 ? [] : [TemplatePart(kind: .literal, text: text, range: 0..<count)], unterminatedAt: nil)
        }
        return withBytes(of: text) { split(bytes: $0) }
    }

    /// Whether the text contains an unescaped `${{`.
    public static func containsExpression(_ text: String) -> Bool {
        guard YAMLScalar.contains(UInt8(ascii: "$"), in: text) else { return false }
        return withBytes(of: text) { bytes in
            var index = 0
            while index < bytes.count {
                // Only a `$` can start either pattern (see ``split(bytes:)``).
                if bytes[index] != UInt8(ascii: "$") { index += 1; continue }
                if matches(bytes, at: index, "$${{") { index += 4; continue }
                if matches(bytes, at: index, "${{") { return true }
                index += 1
            }
            return false
        }
    }

    /// The text's UTF-8 in place; a copy only for a string without contiguous storage.
    private static func withBytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    private static func split(bytes: UnsafeBufferPointer<UInt8>) -> Result {
        var parts: [TemplatePart] = []
        // Room for a literal, an expression and a literal at once: growing the array one
        // part at a time reallocated it for most templates (measured).
        parts.reserveCapacity(3)
        // The current literal runs from `literalStart`; it is copied out only when it ends,
        // and unescaped only if it holds a `$${{`.
        var literalStart = 0
        var literalHasEscape = false
        var index = 0
        func flushLiteral(upTo end: Int) {
            if end > literalStart {
                let text = literalText(UnsafeBufferPointer(rebasing: bytes[literalStart..<end]), unescaping: literalHasEscape)
                parts.append(TemplatePart(kind: .literal, text: text, range: literalStart..<end))
            }
            literalHasEscape = false
        }
        while index < bytes.count {
            // Only a `$` can start a pattern: other bytes are passed over without matching
            // both patterns at each (measured: splitting cost about 40 instructions a byte).
            if bytes[index] != UInt8(ascii: "$") {
                index += 1
                continue
            }
            if matches(bytes, at: index, "$${{") {
                literalHasEscape = true
                index += 4
                continue
            }
            if matches(bytes, at: index, "${{") {
                flushLiteral(upTo: index)
                guard let close = closingBraces(bytes, from: index + 3) else {
                    return Result(parts: parts, unterminatedAt: index)
                }
                let source = String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 3)..<close]), as: UTF8.self)
                parts.append(TemplatePart(kind: .expression, text: source, range: (index + 3)..<close))
                index = close + 2
                literalStart = index
                continue
            }
            index += 1
        }
        flushLiteral(upTo: bytes.count)
        return Result(parts: parts, unterminatedAt: nil)
    }

    /// A literal's text, with each `$${{` written as `${{`.
    private static func literalText(_ bytes: UnsafeBufferPointer<UInt8>, unescaping: Bool) -> String {
        guard unescaping else { return String(decoding: bytes, as: UTF8.self) }
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if matches(bytes, at: index, "$${{") {
                text += "${{".utf8
                index += 4
            } else {
                text.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ pattern: StaticString) -> Bool {
        let count = pattern.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return pattern.withUTF8Buffer { buffer in
            for offset in 0..<count where bytes[index + offset] != buffer[offset] { return false }
            return true
        }
    }

    private static func closingBraces(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var depth = 0
        var quote: UInt8?
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "}") {
                if depth == 0, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "}") { return index }
                depth = max(0, depth - 1)
            }
            index += 1
        }
        return nil
    }
}

/// Maps UTF-8 offsets in a scalar's value to offsets in the file. YAML folds lines, strips
/// indentation and unescapes quotes, so the value is aligned with the source text: each value
/// byte is matched to the next source byte that produced it. Where the alignment cannot be
/// made (an escape that produced a different character), the nearest known offset is used.
///
/// The alignment is made when a span is asked for, not when the map is made: a lint makes a
/// map for every expression but needs spans only for the few it reports.
public struct ScalarSourceMap: Sendable {
    public let file: SourceFile?
    public let nodeSpan: SourceSpan
    private let value: String
    private let style: ScalarStyle

    public init(value: String, style: ScalarStyle, span: SourceSpan, file: SourceFile?) {
        self.file = file
        self.nodeSpan = span
        self.value = value
        self.style = style
    }

    private static let searchWindow = 256

    private static func isEscapeFor(_ letter: UInt8, _ byte: UInt8) -> Bool {
        switch (letter, byte) {
        case (UInt8(ascii: "n"), 0x0A), (UInt8(ascii: "t"), 0x09), (UInt8(ascii: "r"), 0x0D), (UInt8(ascii: "0"), 0x00): return true
        default: return false
        }
    }

    /// The file offsets of value bytes `0...last` (clamped to the value), or nil without a file:
    /// `offsets[i]` is the file offset of value byte `i`, and the entry after the last byte
    /// aligned is where the alignment stopped (the end, once the whole value is aligned).
    private func offsets(through last: Int) -> [Int]? {
        guard let file else { return nil }
        let bytes = file.bytes
        let valueBytes = value.utf8
        let sourceStart = max(0, min(nodeSpan.start.offset, bytes.count))
        let sourceEnd = max(sourceStart, min(nodeSpan.end.offset, bytes.count))
        var source = sourceStart
        switch style {
        case .singleQuoted, .doubleQuoted:
            source = min(source + 1, sourceEnd)
        case .literal, .folded:
            // Skip the header line (`|-`, `>2`) to the first content line.
            while source < sourceEnd, bytes[source] != UInt8(ascii: "\n") { source += 1 }
            source = min(source + 1, sourceEnd)
        case .plain:
            break
        }
        // Entries past `last` are never read: stop aligning there.
        let needed = min(max(0, last) + 1, valueBytes.count)
        var result: [Int] = []
        result.reserveCapacity(needed + 1)
        for byte in valueBytes {
            guard result.count < needed else { break }
            if style == .doubleQuoted, source + 1 < sourceEnd, bytes[source] == UInt8(ascii: "\\") {
                // An escape produced this byte: map it to the backslash and skip the escape.
                let letter = bytes[source + 1]
                if letter == byte || Self.isEscapeFor(letter, byte) {
                    result.append(source)
                    source += 2
                    continue
                }
            }
            // Folding and escapes skip only a little source text; a bounded search keeps
            // hostile scalars (thousands of `\u` escapes) linear.
            var probe = source
            let searchEnd = min(sourceEnd, source + Self.searchWindow)
            while probe < searchEnd, bytes[probe] != byte { probe += 1 }
            if probe < searchEnd {
                result.append(probe)
                source = probe + 1
            } else {
                result.append(min(source, sourceEnd))
            }
        }
        result.append(min(source, sourceEnd))
        return result
    }

    /// The file offset of a value offset.
    public func fileOffset(ofValueOffset offset: Int) -> Int {
        guard let offsets = offsets(through: offset) else { return nodeSpan.start.offset }
        return offsets[max(0, min(offset, offsets.count - 1))]
    }

    /// The file span of a range of the value.
    public func span(of range: Range<Int>) -> SourceSpan {
        guard let file, let offsets = offsets(through: range.upperBound) else { return nodeSpan }
        func offset(_ valueOffset: Int) -> Int { offsets[max(0, min(valueOffset, offsets.count - 1))] }
        let start = offset(range.lowerBound)
        let end: Int
        if range.isEmpty {
            end = start
        } else {
            end = offset(range.upperBound - 1) + 1
        }
        return file.span(from: start, to: max(start, end))
    }
}

/// An expression site with the names visible where it stands (SPEC 4.3).
public struct ScopedExpression: Sendable {
    public var site: ExpressionSite
    /// Where it stands, for messages and tests: `conditions[0]`, `vars.headline`,
    /// `actions.notify.with.url`, `actions.loop.items`.
    public var path: String {
        get { pathStorage.text }
        set { pathStorage = .text(newValue) }
    }
    private var pathStorage: ExpressionPath
    /// The actions that have surely finished here (`actions.ID` is readable).
    public var actions: ActionVisibility
    /// Ids of the actions that have surely finished here, in document order.
    public var visibleActions: [String] { actions.ids }
    /// `vars` names readable here: all of them in actions, the earlier ones in `vars:`.
    public var visibleVars: [String]
    /// Names bound by enclosing `foreach` actions, outermost first.
    public var loopVariables: [String]

    init(site: ExpressionSite, path: String, actions: ActionVisibility, visibleVars: [String], loopVariables: [String]) {
        self.init(site: site, path: .text(path), actions: actions, visibleVars: visibleVars, loopVariables: loopVariables)
    }

    init(site: ExpressionSite, path: ExpressionPath, actions: ActionVisibility, visibleVars: [String], loopVariables: [String]) {
        self.site = site
        pathStorage = path
        self.actions = actions
        self.visibleVars = visibleVars
        self.loopVariables = loopVariables
    }
}

/// Where an expression stands, kept in parts: every lint makes a path for every expression
/// and reads almost none, so the text is put together only when asked for.
enum ExpressionPath: Sendable {
    /// How an action is named in a path: as ``FlowAction/displayName`` says.
    enum ActionName: Sendable {
        case id(String)
        case line(Int)

        init(id: String?, span: SourceSpan) {
            if let id {
                self = .id(id)
            } else {
                self = .line(span.start.line)
            }
        }

        var text: String {
            switch self {
            case .id(let id): return id
            case .line(let line): return "(action at line \(line))"
            }
        }
    }

    case text(String)
    /// `BASE.NAME`: `trigger.threshold`, `vars.headline`.
    case member(String, String)
    /// `actions.ACTION.KEY`, or `actions.ACTION.KEY.NAME` for an input (`with.url`).
    case action(ActionName, String, String?)

    var text: String {
        switch self {
        case .text(let text): return text
        case .member(let base, let name): return "\(base).\(name)"
        case .action(let action, let key, nil): return "actions.\(action.text).\(key)"
        case .action(let action, let key, let name?): return "actions.\(action.text).\(key).\(name)"
        }
    }
}
