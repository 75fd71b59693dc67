import Diagnostics

/// Builds ``YAMLNode`` trees from parser events, one document at a time, without recursion:
/// open collections live on an explicit stack bounded by ``YAMLLimits/maxDepth``.
///
/// Aliases are expanded by sharing the anchored node (nodes are immutable), so an alias costs
/// O(1) time and memory; the node budget still counts every node an alias stands for, using
/// the subtree size remembered with each anchor, so an alias bomb is caught at the first
/// alias that crosses the budget instead of after building anything big.
///
/// Merge keys (`<<: *defaults`) are not merged: they stay ordinary keys named `<<`, which the
/// flow checker sees as any other key.
struct Composer {
    enum Step {
        case proceed
        /// Composition cannot go on (the stream is abandoned); the diagnostic is recorded.
        case stop
    }

    private let file: SourceFile
    private let limits: YAMLLimits
    private var marks: MarkConverter
    /// The document completed by the last event, until ``takeDocument()`` hands it over:
    /// documents go one at a time, so a reader need not hold a whole file's trees.
    private var completed: YAMLDocument?
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var documentCount = 0

    // State of the document being composed.
    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var nodeCount = 0
    private var documentStart = SourcePosition(offset: 0, line: 1, column: 1)
    private var root: Composed?
    /// Set when the document broke the node budget: its remaining events are read and dropped.
    private var isSkippingDocument = false

    init(file: SourceFile, limits: YAMLLimits, marks: MarkConverter) {
        self.file = file
        self.limits = limits
        self.marks = marks
        // Flows nest a handful of levels: one allocation instead of growing step by step.
        stack.reserveCapacity(8)
    }

    /// A finished node, how many nodes it stands for (itself and everything below), and where
    /// its text ends (kept here so the parent need not rebuild the node's span).
    struct Composed {
        var node: YAMLNode
        var size: Int
        var end: SourcePosition
    }

    private struct Anchored {
        var node: YAMLNode
        var size: Int
    }

    /// A collection whose end event has not arrived yet.
    private struct Frame {
        let isMapping: Bool
        let start: SourcePosition
        let anchor: String?
        let tag: String?
        let isFlowStyle: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: Composed?
        /// Pair index by key text, built once a mapping is too large for a linear scan.
        var keyIndex: [String: Int]?
        var size = 1
        var lastChildEnd: SourcePosition?

        init(isMapping: Bool, start: SourcePosition, anchor: String?, tag: String?, isFlowStyle: Bool) {
            self.isMapping = isMapping
            self.start = start
            self.anchor = anchor
            self.tag = tag
            self.isFlowStyle = isFlowStyle
            // Most collections of a flow hold a few entries (an action's mapping up to eight):
            // one allocation instead of three or four.
            if isMapping { pairs.reserveCapacity(8) } else { items.reserveCapacity(4) }
        }

        enum Placement {
            case placed
            /// A pair whose plain key holds `$`: the caller checks for a split `${{ … }}`.
            case placedDollarKey(key: YAMLNode, value: YAMLNode)
            case nonScalarKey(YAMLNode)
            case duplicateKey(String, key: YAMLNode, first: YAMLNode)
        }

        /// Adds a finished child: an item, a key waiting for its value, or a value completing
        /// a pair. Mutating, so callers reach it in place through the stack's subscript.
        mutating func place(_ composed: Composed) -> Placement {
            lastChildEnd = composed.end
            guard isMapping else {
                items.append(composed.node)
                size += composed.size
                return .placed
            }
            guard let key = pendingKey else {
                pendingKey = composed
                return .placed
            }
            pendingKey = nil
            guard case .scalar(let keyScalar) = key.node.kind else { return .nonScalarKey(key.node) }
            if let first = indexOfKey(keyScalar.value) {
                return .duplicateKey(keyScalar.value, key: key.node, first: pairs[first].key)
            }
            appendPair(YAMLPair(key: key.node, value: composed.node), key: keyScalar.value)
            size += key.size + composed.size
            if keyScalar.style == .plain, keyScalar.contains(byte: UInt8(ascii: "$")) {
                return .placedDollarKey(key: key.node, value: composed.node)
            }
            return .placed
        }

        private static let linearScanLimit = 12

        func indexOfKey(_ key: String) -> Int? {
            if let keyIndex { return keyIndex[key] }
            for (position, pair) in pairs.enumerated() {
                if case .scalar(let scalar) = pair.key.kind, scalar.value == key { return position }
            }
            return nil
        }

        mutating func appendPair(_ pair: YAMLPair, key: String) {
            pairs.append(pair)
            if keyIndex != nil {
                keyIndex?[key] = pairs.count - 1
            } else if pairs.count > Self.linearScanLimit {
                var index: [String: Int] = [:]
                index.reserveCapacity(pairs.count * 2)
                for (position, existing) in pairs.enumerated() {
                    if let text = existing.key.scalar?.value, index[text] == nil { index[text] = position }
                }
                keyIndex = index
            }
        }
    }

    // MARK: - Events

    mutating func consume(_ event: ParserEvent) -> Step {
        if isSkippingDocument {
            if case .documentEnd = event.kind { resetDocument() }
            return .proceed
        }
        switch event.kind {
        case .streamStart, .streamEnd:
            return .proceed
        case .documentStart:
            resetDocument()
            documentCount += 1
            documentStart = marks.position(of: event.start)
            return .proceed
        case .documentEnd(let isImplicit):
            finishDocument(endMark: isImplicit ? nil : event.end)
            return .proceed
        case .scalar(let value, let style, let tag, let anchor):
            guard countNodes(1, at: event) else { return .proceed }
            var start = marks.position(of: event.start)
            var end = marks.position(of: event.end)
            if anchor != nil || tag != nil {
                start = contentStart(after: start, limit: end)
            }
            if style == .literal || style == .folded {
                end = trimmedBlockScalarEnd(start: start, end: end)
            }
            let node = YAMLNode(
                kind: .scalar(YAMLScalar(value: value, style: style, tag: tag)),
                span: SourceSpan(file: file.path, start: start, end: end),
                anchor: anchor
            )
            return attach(Composed(node: node, size: 1, end: end), anchor: anchor)
        case .alias(let name):
            return expandAlias(name, event: event)
        case .sequenceStart(let anchor, let tag, let isFlowStyle):
            return open(isMapping: false, anchor: anchor, tag: tag, isFlowStyle: isFlowStyle, event: event)
        case .mappingStart(let anchor, let tag, let isFlowStyle):
            return open(isMapping: true, anchor: anchor, tag: tag, isFlowStyle: isFlowStyle, event: event)
        case .sequenceEnd, .mappingEnd:
            return close(event: event)
        }
    }

    // MARK: - Documents

    private mutating func resetDocument() {
        stack.removeAll(keepingCapacity: true)
        anchors.removeAll(keepingCapacity: true)
        nodeCount = 0
        root = nil
        isSkippingDocument = false
    }

    private mutating func finishDocument(endMark: Mark?) {
        var rootNode = root?.node
        // libyaml gives an empty document (a stray `---`) an empty plain scalar as its root.
        if let node = rootNode, node.span.isEmpty, let scalar = node.scalar, scalar.isNull, node.anchor == nil {
            rootNode = nil
        }
        let end: SourcePosition
        if let endMark {
            end = marks.position(of: endMark)
        } else {
            end = rootNode?.span.end ?? documentStart
        }
        let span = SourceSpan(file: file.path, start: min(documentStart, rootNode?.span.start ?? documentStart), end: end)
        completed = YAMLDocument(root: rootNode, span: span)
        resetDocument()
    }

    /// The document that the last event completed, once.
    mutating func takeDocument() -> YAMLDocument? {
        defer { completed = nil }
        return completed
    }

    // MARK: - Collections

    private mutating func open(isMapping: Bool, anchor: String?, tag: String?, isFlowStyle: Bool, event: ParserEvent) -> Step {
        let start = marks.position(of: event.start)
        if stack.count >= limits.maxDepth {
            // libyaml's own cost grows quadratically with flow nesting, so stop reading here
            // rather than skipping to the end of the document.
            let kind = isMapping ? "mapping" : "sequence"
            diagnostics.append(Diagnostic(
                .nestingTooDeep, .error,
                "collections are nested more than \(limits.maxDepth) levels deep",
                at: SourceSpan(file: file.path, start: start, end: marks.position(of: event.end)),
                label: "this \(kind) is level \(stack.count + 1)",
                notes: [Note("flowc stops reading the file here; flows never need this much nesting")]
            ))
            return .stop
        }
        guard countNodes(1, at: event) else { return .proceed }
        var contentStart = start
        if anchor != nil || tag != nil {
            contentStart = self.contentStart(after: start, limit: nil)
        }
        stack.append(Frame(isMapping: isMapping, start: contentStart, anchor: anchor, tag: tag, isFlowStyle: isFlowStyle))
        return .proceed
    }

    private mutating func close(event: ParserEvent) -> Step {
        guard let frame = stack.popLast() else { return .proceed }
        let end: SourcePosition
        if frame.isFlowStyle {
            end = marks.position(of: event.end)
        } else {
            // A block collection's end event sits at the next token, past blank lines and
            // comments; the collection really ends with its last entry.
            end = frame.lastChildEnd ?? marks.position(of: event.start)
        }
        let kind: YAMLNode.Kind = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
        let node = YAMLNode(
            kind: kind,
            span: SourceSpan(file: file.path, start: frame.start, end: end),
            anchor: frame.anchor,
            tag: frame.tag,
            isFlowStyle: frame.isFlowStyle
        )
        return attach(Composed(node: node, size: frame.size, end: end), anchor: frame.anchor)
    }

    /// Adds a finished node to the open collection, or makes it the document's root.
    private mutating func attach(_ composed: Composed, anchor: String?) -> Step {
        if let anchor {
            anchors[anchor] = Anchored(node: composed.node, size: composed.size)
        }
        let top = stack.count - 1
        guard top >= 0 else {
            root = composed
            return .proceed
        }
        switch stack[top].place(composed) {
        case .placed:
            break
        case .placedDollarKey(let key, let value):
            checkSplitExpression(key: key, value: value)
        case .nonScalarKey(let key):
            reportNonScalarKey(key)
        case .duplicateKey(let text, let key, let first):
            reportDuplicateKey(text, key: key, first: first)
        }
        return .proceed
    }

    // MARK: - Aliases and the node budget

    private mutating func expandAlias(_ name: String, event: ParserEvent) -> Step {
        let span = SourceSpan(
            file: file.path,
            start: marks.position(of: event.start),
            end: marks.position(of: event.end)
        )
        guard let target = anchors[name] else {
            reportUnknownAlias(name, at: span)
            // A null stands in so the surrounding mapping keeps its key/value pairing.
            let placeholder = YAMLNode(kind: .scalar(YAMLScalar(value: "", style: .plain)), span: span, alias: span)
            return attach(Composed(node: placeholder, size: 1, end: span.end), anchor: nil)
        }
        guard countNodes(target.size, at: event, alias: name) else { return .proceed }
        let node = target.node
        let copy = YAMLNode(kind: node.kind, span: node.span, anchor: nil, tag: node.tag, isFlowStyle: node.isFlowStyle, alias: span)
        // In the parent, the alias ends where `*name` ends.
        return attach(Composed(node: copy, size: target.size, end: span.end), anchor: nil)
    }

    /// Adds `count` nodes to the document's budget; false (and a diagnostic) when that breaks it.
    private mutating func countNodes(_ count: Int, at event: ParserEvent, alias: String? = nil) -> Bool {
        nodeCount += count
        guard nodeCount > limits.maxNodesPerDocument else { return true }
        let span = SourceSpan(
            file: file.path,
            start: marks.position(of: event.start),
            end: marks.position(of: event.end)
        )
        let limit = Self.grouped(limits.maxNodesPerDocument)
        var diagnostic: Diagnostic
        if let alias {
            diagnostic = Diagnostic(
                .nodeLimitExceeded, .error,
                "expanding alias `*\(alias)` makes the document larger than \(limit) nodes",
                at: span,
                label: "this alias stands for \(Self.grouped(count)) nodes",
                notes: [Note("each alias counts as a full copy of its anchor; aliases of aliases multiply (an \"alias bomb\")")]
            )
        } else {
            diagnostic = Diagnostic(
                .nodeLimitExceeded, .error,
                "the document has more than \(limit) nodes",
                at: span,
                label: "node \(Self.grouped(nodeCount)) of this document",
                notes: [Note("split the flow into several documents or files")]
            )
        }
        diagnostic.notes.append(Note("the rest of this document is not checked"))
        diagnostics.append(diagnostic)
        stack.removeAll(keepingCapacity: true)
        isSkippingDocument = true
        return false
    }

    // MARK: - Diagnostics

    private mutating func reportDuplicateKey(_ text: String, key: YAMLNode, first: YAMLNode) {
        diagnostics.append(Diagnostic(
            .duplicateKey, .error,
            "duplicate key `\(text)`",
            at: key.span,
            label: "defined again here",
            secondary: [SecondarySpan(span: first.span, label: "first defined here")],
            notes: [Note("YAML keeps one value per key; remove one of the two or rename it")]
        ))
    }

    /// `- ${{ a ? b : c }}` is valid YAML: a one-entry mapping from `${{ a ? b` to `c }}`.
    /// libyaml can't see the mistake, so the composer does: a plain key that opens more
    /// `${{` than it closes was cut at a `: ` inside the expression.
    private mutating func checkSplitExpression(key: YAMLNode, value: YAMLNode) {
        guard let text = key.scalar?.value else { return }
        let opened = text.split(separator: "${{", omittingEmptySubsequences: false).count - 1
        let closed = text.split(separator: "}}", omittingEmptySubsequences: false).count - 1
        guard opened > closed else { return }
        let bytes = file.bytes
        var colon = key.span.end.offset
        while colon < bytes.count, bytes[colon] == UInt8(ascii: " ") { colon += 1 }
        let colonSpan = file.span(colon..<min(colon + 1, bytes.count))
        var diagnostic = Diagnostic(
            .unquotedExpressionColon, .error,
            "`: ` in an unquoted value with `${{ … }}`",
            at: colonSpan,
            label: "YAML reads this `:` as the separator of a key and its value",
            notes: [Note("YAML splits plain text at `: `, also inside `${{ }}`; quote the whole value")]
        )
        let keySpan = key.span
        let valueSpan = value.span
        if let scalar = value.scalar, scalar.style == .plain, value.alias == nil,
           valueSpan.end.offset > keySpan.start.offset, valueSpan.end.line == keySpan.start.line {
            let original = file.text(keySpan.start.offset..<valueSpan.end.offset)
            let replacement = Self.quoted(original)
            diagnostic.notes.append(Note("write `\(replacement)`"))
            diagnostic.fixIts.append(FixIt(span: file.span(keySpan.start.offset..<valueSpan.end.offset), replacement: replacement))
        }
        diagnostics.append(diagnostic)
    }

    /// Plain text as a YAML quoted scalar: double quotes unless it holds `"` or `\`, where
    /// single quotes keep it literal (a `'` is doubled).
    static func quoted(_ text: String) -> String {
        if !text.contains("\""), !text.contains("\\") {
            return "\"" + text + "\""
        }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    private mutating func reportNonScalarKey(_ key: YAMLNode) {
        diagnostics.append(Diagnostic(
            .nonScalarKey, .error,
            "a \(key.kindName) cannot be a mapping key",
            at: key.span,
            label: "\(key.kindName) used as a key",
            notes: [Note("keys in a flow are names; a `?` or a `[`/`{` before `:` makes a complex key")]
        ))
    }

    private mutating func reportUnknownAlias(_ name: String, at span: SourceSpan) {
        let isOwnAnchor = stack.contains { $0.anchor == name }
        var diagnostic: Diagnostic
        if isOwnAnchor {
            diagnostic = Diagnostic(
                .unknownAlias, .error,
                "alias `*\(name)` refers to the node it is inside of",
                at: span,
                label: "recursive alias",
                notes: [Note("an alias can only repeat a node that is complete; recursive structures are not allowed")]
            )
        } else {
            diagnostic = Diagnostic(.unknownAlias, .error, "unknown anchor `\(name)`", at: span, label: "no `&\(name)` before this alias")
            let candidates = Array(anchors.keys)
            if let closest = Suggestions.closest(to: name, in: candidates) {
                diagnostic.notes.append(Note("did you mean `*\(closest)`?"))
            } else {
                diagnostic.notes.append(Note("an anchor `&\(name)` must come before its aliases, in the same document"))
            }
        }
        diagnostics.append(diagnostic)
    }

    /// `10000` as `10,000`, as the limits are written in the spec.
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var result = ""
        for (position, digit) in digits.enumerated() {
            if position > 0, (digits.count - position) % 3 == 0, digits[position - 1] != "-" { result.append(",") }
            result.append(digit)
        }
        return result
    }

    // MARK: - Spans

    /// libyaml starts a node's marks at its properties (`&anchor !tag`); spans start at the
    /// content, so that offsets inside a scalar's text can be mapped from its first quote.
    private func contentStart(after start: SourcePosition, limit: SourcePosition?) -> SourcePosition {
        let bytes = file.bytes
        let end = min(limit?.offset ?? bytes.count, bytes.count)
        var offset = start.offset
        scanning: while offset < end {
            switch bytes[offset] {
            case UInt8(ascii: "&"), UInt8(ascii: "!"):
                while offset < end, !Self.endsProperty(bytes[offset]) { offset += 1 }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "#"):
                while offset < end, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
            default:
                break scanning
            }
        }
        return offset == start.offset ? start : file.position(atOffset: offset)
    }

    private static func endsProperty(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
             UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            return true
        default:
            return false
        }
    }

    /// A literal or folded scalar's end mark lies after its trailing line breaks, often at the
    /// start of the next key; carets should stop at the last character of its text.
    private func trimmedBlockScalarEnd(start: SourcePosition, end: SourcePosition) -> SourcePosition {
        let bytes = file.bytes
        var offset = min(end.offset, bytes.count)
        while offset > start.offset + 1 {
            let byte = bytes[offset - 1]
            guard byte == 0x0A || byte == 0x0D || byte == 0x20 || byte == 0x09 else { break }
            offset -= 1
        }
        return offset == end.offset ? end : file.position(atOffset: offset)
    }
}
