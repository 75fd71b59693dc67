import Diagnostics

/// Builds each document's ``YAMLTree`` from parser events, one document at a time, without
/// recursion: open collections live on an explicit stack bounded by ``YAMLLimits/maxDepth``.
///
/// Aliases are expanded by a new record that shares the anchored node's text and children
/// (nodes are never changed), so an alias costs O(1) time and memory; the node budget still counts every node an alias stands for, using
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

    // The storage of the document being composed, handed to its ``YAMLTree`` when it ends.
    private var records: [YAMLNodeRecord] = []
    private var texts: [String] = []
    private var children: [Int32] = []
    private var properties: [Int32: YAMLNodeProperties] = [:]
    /// Children of the open collections, innermost last; a collection takes its run when it
    /// closes, so that each collection's children are contiguous in `children`.
    private var pending: [Int32] = []

    // State of the document being composed.
    /// The innermost open collection, when `depth` > 0. Kept out of `stack`, since every
    /// node updates it: a stored struct costs no array access (measured: the array's checks
    /// were a third of placing a node).
    private var current = Frame.none
    /// How many collections are open.
    private var depth = 0
    /// The open collections around `current`, innermost last.
    private var stack: [Frame] = []
    /// Anchor and tag of the open collections that have any, innermost last.
    private var frameProperties: [YAMLNodeProperties] = []
    /// Key positions of the open mappings that have a key index, innermost last.
    private var keyIndexes: [[String: Int]] = []
    private var anchors: [String: Anchored] = [:]
    private var nodeCount = 0
    private var documentStart = SourcePosition(offset: 0, line: 1, column: 1)
    private var root: Composed?
    /// Set when the document broke the node budget: its remaining events are read and dropped.
    private var isSkippingDocument = false

    /// `inputSize` is the byte count libyaml reads, from which the first document's storage
    /// is sized; later documents start with the size of the one before.
    init(file: SourceFile, limits: YAMLLimits, marks: MarkConverter, inputSize: Int) {
        self.file = file
        self.limits = limits
        self.marks = marks
        // Flows nest a handful of levels: one allocation instead of growing step by step.
        stack.reserveCapacity(8)
        pending.reserveCapacity(64)
        // A flow file has about one node per dozen bytes. Growing the first document's arrays
        // from empty reallocated each of them six or seven times, which made reading a folder
        // of one-flow files a tenth slower than reading the same flows as one file (measured).
        let nodes = min(max(inputSize / 12, 16), limits.maxNodesPerDocument)
        records.reserveCapacity(nodes)
        texts.reserveCapacity(nodes)
        children.reserveCapacity(nodes)
    }

    /// A finished node, how many nodes it stands for (itself and everything below), and where
    /// its text ends (kept here so the parent need not rebuild the node's span).
    struct Composed {
        var index: Int32
        var size: Int
        var end: SourcePosition
    }

    private struct Anchored {
        var index: Int32
        var size: Int
    }

    /// A collection whose end event has not arrived yet. Small plain data, so that reaching
    /// it in the stack costs no reference counting: its anchor and tag are in
    /// `frameProperties`, and a mapping's key waiting for its value is the last of `pending`.
    private struct Frame {
        let start: SourcePosition
        /// Where the last child ends; valid once `hasChild` is set.
        var lastChildEnd = SourcePosition(offset: 0, line: 1, column: 1)
        /// Where this collection's children start in `pending`.
        let firstPending: Int32
        /// Nodes this collection stands for (within the node budget, so 32 bits suffice).
        var size: Int32 = 1
        /// The size of the key waiting for its value, valid with `hasPendingKey`.
        var pendingKeySize: Int32 = 0
        let isMapping: Bool
        let isFlowStyle: Bool
        /// Whether `frameProperties` holds this collection's anchor and tag.
        let hasProperties: Bool
        /// Whether `keyIndexes` holds this mapping's key positions (in `pending`, by key
        /// text): built once a mapping is too large for a linear scan.
        var hasKeyIndex = false
        var hasPendingKey = false
        var hasChild = false

        init(start: SourcePosition, firstPending: Int, isMapping: Bool, isFlowStyle: Bool, hasProperties: Bool) {
            self.start = start
            self.firstPending = Int32(truncatingIfNeeded: firstPending)
            self.isMapping = isMapping
            self.isFlowStyle = isFlowStyle
            self.hasProperties = hasProperties
        }

        /// What `current` holds while no collection is open.
        static let none = Frame(
            start: SourcePosition(offset: 0, line: 1, column: 1), firstPending: 0, isMapping: false, isFlowStyle: false,
            hasProperties: false)
    }

    private enum Placement {
        case placed
        /// A pair whose plain key holds `$`: the caller checks for a split `${{ … }}`.
        case placedDollarKey(key: Int32, value: Int32)
        case nonScalarKey(Int32)
        case duplicateKey(key: Int32, first: Int32)
    }

    private static let linearScanLimit = 12

    /// Adds a finished child to the innermost open collection: an item, a key waiting for its
    /// value, or a value completing a pair.
    private mutating func place(_ composed: Composed) -> Placement {
        current.lastChildEnd = composed.end
        current.hasChild = true
        let size = Int32(truncatingIfNeeded: composed.size)
        guard current.isMapping else {
            pending.append(composed.index)
            current.size &+= size
            return .placed
        }
        guard current.hasPendingKey else {
            pending.append(composed.index)
            current.hasPendingKey = true
            current.pendingKeySize = size
            return .placed
        }
        current.hasPendingKey = false
        let key = pending.removeLast()
        let keyRecord = records[Int(key)]
        guard keyRecord.shape == .scalar else { return .nonScalarKey(key) }
        let text = texts[Int(keyRecord.firstChild)]
        if let first = positionOfKey(text) {
            return .duplicateKey(key: key, first: pending[first])
        }
        appendPair(key: key, value: composed.index, text: text)
        current.size &+= current.pendingKeySize &+ size
        if keyRecord.isPlainWithDollar {
            return .placedDollarKey(key: key, value: composed.index)
        }
        return .placed
    }

    /// Where the key `text` of the innermost mapping is in `pending`.
    private func positionOfKey(_ text: String) -> Int? {
        if current.hasKeyIndex, let keyIndex = keyIndexes.last { return keyIndex[text] }
        var position = Int(current.firstPending)
        while position < pending.count {
            // Keys in `pending` are scalars: the others were left out.
            if texts[Int(records[Int(pending[position])].firstChild)] == text { return position }
            position += 2
        }
        return nil
    }

    private mutating func appendPair(key: Int32, value: Int32, text: String) {
        pending.append(key)
        pending.append(value)
        if current.hasKeyIndex {
            keyIndexes[keyIndexes.count - 1][text] = pending.count - 2
        } else if (pending.count - Int(current.firstPending)) / 2 > Self.linearScanLimit {
            let firstPending = Int(current.firstPending)
            var index: [String: Int] = [:]
            index.reserveCapacity(pending.count - firstPending)
            for position in stride(from: firstPending, to: pending.count, by: 2) {
                let text = texts[Int(records[Int(pending[position])].firstChild)]
                if index[text] == nil { index[text] = position }
            }
            keyIndexes.append(index)
            current.hasKeyIndex = true
        }
    }

    // MARK: - Events

    mutating func consume(_ event: ParserEvent) -> Step {
        if isSkippingDocument {
            if event.kind == .documentEnd { resetDocument() }
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
        case .documentEnd:
            finishDocument(endMark: event.isImplicit ? nil : event.end)
            return .proceed
        case .scalar:
            guard countNodes(1, at: event) else { return .proceed }
            var start = marks.position(of: event.start)
            var end = marks.position(of: event.end)
            let hasProperties = event.anchor != nil || event.tag != nil
            if hasProperties {
                start = contentStart(after: start, limit: end)
            }
            if event.style == .literal || event.style == .folded {
                end = trimmedBlockScalarEnd(start: start, end: end)
            }
            let index = appendScalar(event.text, style: event.style, location: CompactSpan(start: start, end: end))
            if event.style == .plain, event.value.contains(UInt8(ascii: "$")) {
                records[Int(index)].isPlainWithDollar = true
            }
            if hasProperties {
                setProperties(YAMLNodeProperties(anchor: event.anchor, tag: event.tag), of: index)
            }
            return attach(Composed(index: index, size: 1, end: end), anchor: event.anchor)
        case .alias:
            return expandAlias(event.text, event: event)
        case .sequenceStart, .mappingStart:
            return open(isMapping: event.kind == .mappingStart, anchor: event.anchor, tag: event.tag, isFlowStyle: event.isFlowStyle, event: event)
        case .sequenceEnd, .mappingEnd:
            return close(event: event)
        }
    }

    /// Stores a node's record and returns its index.
    private mutating func append(_ record: YAMLNodeRecord) -> Int32 {
        // The node budget keeps a document far below 2^31 records.
        let index = Int32(truncatingIfNeeded: records.count)
        records.append(record)
        return index
    }

    private mutating func appendScalar(_ text: String, style: ScalarStyle, location: CompactSpan) -> Int32 {
        let textIndex = Int32(truncatingIfNeeded: texts.count)
        texts.append(text)
        return append(YAMLNodeRecord(location: location, firstChild: textIndex, shape: .scalar, style: style, hasProperties: false))
    }

    /// Gives the node `index` its rare properties (anchor, tag, alias span).
    private mutating func setProperties(_ nodeProperties: YAMLNodeProperties, of index: Int32) {
        records[Int(index)].hasProperties = true
        properties[index] = nodeProperties
    }

    private func span(of index: Int32) -> SourceSpan {
        records[Int(index)].location.span(file: file.path)
    }

    // MARK: - Documents

    private mutating func resetDocument() {
        stack.removeAll(keepingCapacity: true)
        depth = 0
        if !frameProperties.isEmpty { frameProperties.removeAll() }
        if !keyIndexes.isEmpty { keyIndexes.removeAll() }
        anchors.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        if !records.isEmpty { records.removeAll(keepingCapacity: true) }
        if !texts.isEmpty { texts.removeAll(keepingCapacity: true) }
        if !children.isEmpty { children.removeAll(keepingCapacity: true) }
        if !properties.isEmpty { properties.removeAll() }
        nodeCount = 0
        root = nil
        isSkippingDocument = false
    }

    private mutating func finishDocument(endMark: Mark?) {
        var rootIndex = root?.index
        // libyaml gives an empty document (a stray `---`) an empty plain scalar as its root.
        if let index = rootIndex {
            let record = records[Int(index)]
            if record.location.isEmpty, record.shape == .scalar, record.style == .plain, texts[Int(record.firstChild)].isEmpty,
               !record.hasProperties {
                rootIndex = nil
            }
        }
        let rootStart = rootIndex.map { records[Int($0)].location.start }
        let end: SourcePosition
        if let endMark {
            end = marks.position(of: endMark)
        } else {
            end = rootIndex.map { records[Int($0)].location.end } ?? documentStart
        }
        let span = SourceSpan(file: file.path, start: min(documentStart, rootStart ?? documentStart), end: end)
        var rootNode: YAMLNode?
        if let rootIndex {
            rootNode = YAMLNode(tree: takeTree(), index: Int(rootIndex))
        }
        completed = YAMLDocument(root: rootNode, span: span)
        resetDocument()
    }

    /// Hands the document's storage to a tree; the next document starts with buffers of
    /// the same size, so a file of similar flows allocates each buffer once per document.
    private mutating func takeTree() -> YAMLTree {
        let tree = YAMLTree(file: file.path, records: records, texts: texts, children: children, properties: properties)
        let recordCapacity = records.count
        let textCapacity = texts.count
        let childCapacity = children.count
        records = []
        texts = []
        children = []
        properties = [:]
        records.reserveCapacity(recordCapacity)
        texts.reserveCapacity(textCapacity)
        children.reserveCapacity(childCapacity)
        return tree
    }

    /// The document that the last event completed, once.
    mutating func takeDocument() -> YAMLDocument? {
        defer { completed = nil }
        return completed
    }

    // MARK: - Collections

    private mutating func open(isMapping: Bool, anchor: String?, tag: String?, isFlowStyle: Bool, event: ParserEvent) -> Step {
        let start = marks.position(of: event.start)
        if depth >= limits.maxDepth {
            // libyaml's own cost grows quadratically with flow nesting, so stop reading here
            // rather than skipping to the end of the document.
            let kind = isMapping ? "mapping" : "sequence"
            diagnostics.append(Diagnostic(
                .nestingTooDeep, .error,
                "collections are nested more than \(limits.maxDepth) levels deep",
                at: SourceSpan(file: file.path, start: start, end: marks.position(of: event.end)),
                label: "this \(kind) is level \(depth + 1)",
                notes: [Note("flowc stops reading the file here; flows never need this much nesting")]
            ))
            return .stop
        }
        guard countNodes(1, at: event) else { return .proceed }
        var contentStart = start
        if anchor != nil || tag != nil {
            contentStart = self.contentStart(after: start, limit: nil)
        }
        let hasProperties = anchor != nil || tag != nil
        if hasProperties { frameProperties.append(YAMLNodeProperties(anchor: anchor, tag: tag)) }
        if depth > 0 { stack.append(current) }
        current = Frame(start: contentStart, firstPending: pending.count, isMapping: isMapping, isFlowStyle: isFlowStyle, hasProperties: hasProperties)
        depth += 1
        return .proceed
    }

    private mutating func close(event: ParserEvent) -> Step {
        guard depth > 0 else { return .proceed }
        let frame = current
        depth -= 1
        if depth > 0 { current = stack.removeLast() }
        let end: SourcePosition
        if frame.isFlowStyle {
            end = marks.position(of: event.end)
        } else {
            // A block collection's end event sits at the next token, past blank lines and
            // comments; the collection really ends with its last entry.
            end = frame.hasChild ? frame.lastChildEnd : marks.position(of: event.start)
        }
        // A key without a value (only after a syntax error, which stops reading) is dropped.
        if frame.hasPendingKey { pending.removeLast() }
        let firstPending = Int(frame.firstPending)
        let firstChild = Int32(truncatingIfNeeded: children.count)
        let childCount = Int32(truncatingIfNeeded: pending.count - firstPending)
        children.append(contentsOf: pending[firstPending...])
        pending.removeLast(pending.count - firstPending)
        if frame.hasKeyIndex { keyIndexes.removeLast() }
        let nodeProperties = frame.hasProperties ? frameProperties.popLast() : nil
        let record = YAMLNodeRecord(
            location: CompactSpan(start: frame.start, end: end),
            firstChild: firstChild,
            childCount: childCount,
            shape: frame.isMapping ? .mapping : .sequence,
            isFlowStyle: frame.isFlowStyle,
            hasProperties: false
        )
        let index = append(record)
        if let nodeProperties { setProperties(nodeProperties, of: index) }
        return attach(Composed(index: index, size: Int(frame.size), end: end), anchor: nodeProperties?.anchor)
    }

    /// Adds a finished node to the open collection, or makes it the document's root.
    private mutating func attach(_ composed: Composed, anchor: String?) -> Step {
        if let anchor {
            anchors[anchor] = Anchored(index: composed.index, size: composed.size)
        }
        guard depth > 0 else {
            root = composed
            return .proceed
        }
        switch place(composed) {
        case .placed:
            break
        case .placedDollarKey(let key, let value):
            checkSplitExpression(key: key, value: value)
        case .nonScalarKey(let key):
            reportNonScalarKey(key)
        case .duplicateKey(let key, let first):
            reportDuplicateKey(key: key, first: first)
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
            let placeholder = appendScalar("", style: .plain, location: CompactSpan(span))
            setProperties(YAMLNodeProperties(alias: span), of: placeholder)
            return attach(Composed(index: placeholder, size: 1, end: span.end), anchor: nil)
        }
        guard countNodes(target.size, at: event, alias: name) else { return .proceed }
        // The copy shares the anchored node's text and children: nodes are never changed.
        let original = records[Int(target.index)]
        let tag = original.hasProperties ? properties[target.index]?.tag : nil
        let copy = append(original)
        setProperties(YAMLNodeProperties(tag: tag, alias: span), of: copy)
        // In the parent, the alias ends where `*name` ends.
        return attach(Composed(index: copy, size: target.size, end: span.end), anchor: nil)
    }

    /// Adds `count` nodes to the document's budget; false (and a diagnostic) when that breaks it.
    @inline(__always)
    private mutating func countNodes(_ count: Int, at event: ParserEvent, alias: String? = nil) -> Bool {
        nodeCount += count
        guard nodeCount > limits.maxNodesPerDocument else { return true }
        reportNodeLimit(count, at: event, alias: alias)
        return false
    }

    /// Reports the broken budget and skips the rest of the document.
    private mutating func reportNodeLimit(_ count: Int, at event: ParserEvent, alias: String?) {
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
        depth = 0
        isSkippingDocument = true
    }

    // MARK: - Diagnostics

    private mutating func reportDuplicateKey(key: Int32, first: Int32) {
        let text = texts[Int(records[Int(key)].firstChild)]
        diagnostics.append(Diagnostic(
            .duplicateKey, .error,
            "duplicate key `\(text)`",
            at: span(of: key),
            label: "defined again here",
            secondary: [SecondarySpan(span: span(of: first), label: "first defined here")],
            notes: [Note("YAML keeps one value per key; remove one of the two or rename it")]
        ))
    }

    /// `- ${{ a ? b : c }}` is valid YAML: a one-entry mapping from `${{ a ? b` to `c }}`.
    /// libyaml can't see the mistake, so the composer does: a plain key that opens more
    /// `${{` than it closes was cut at a `: ` inside the expression.
    private mutating func checkSplitExpression(key: Int32, value: Int32) {
        let keyRecord = records[Int(key)]
        guard keyRecord.shape == .scalar else { return }
        let text = texts[Int(keyRecord.firstChild)]
        let opened = text.split(separator: "${{", omittingEmptySubsequences: false).count - 1
        let closed = text.split(separator: "}}", omittingEmptySubsequences: false).count - 1
        guard opened > closed else { return }
        let bytes = file.bytes
        let keySpan = span(of: key)
        var colon = keySpan.end.offset
        while colon < bytes.count, bytes[colon] == UInt8(ascii: " ") { colon += 1 }
        let colonSpan = file.span(colon..<min(colon + 1, bytes.count))
        var diagnostic = Diagnostic(
            .unquotedExpressionColon, .error,
            "`: ` in an unquoted value with `${{ … }}`",
            at: colonSpan,
            label: "YAML reads this `:` as the separator of a key and its value",
            notes: [Note("YAML splits plain text at `: `, also inside `${{ }}`; quote the whole value")]
        )
        let valueSpan = span(of: value)
        let valueRecord = records[Int(value)]
        let isAlias = valueRecord.hasProperties && properties[value]?.alias != nil
        if valueRecord.shape == .scalar, valueRecord.style == .plain, !isAlias,
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

    private mutating func reportNonScalarKey(_ key: Int32) {
        let kindName = records[Int(key)].shape == .mapping ? "mapping" : "sequence"
        diagnostics.append(Diagnostic(
            .nonScalarKey, .error,
            "a \(kindName) cannot be a mapping key",
            at: span(of: key),
            label: "\(kindName) used as a key",
            notes: [Note("keys in a flow are names; a `?` or a `[`/`{` before `:` makes a complex key")]
        ))
    }

    private mutating func reportUnknownAlias(_ name: String, at span: SourceSpan) {
        let isOwnAnchor = frameProperties.contains { $0.anchor == name }
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
