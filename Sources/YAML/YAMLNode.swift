import Diagnostics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a scalar was written; kept because `${{ }}` spans inside quoted and block scalars
/// are mapped back to file positions according to the style.
public enum ScalarStyle: String, Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A YAML scalar, kept as text: the checker decides what it means (YAML 1.1 would read
/// `on` or `yes` as booleans; flowc does not).
public struct YAMLScalar: Sendable, Hashable {
    public var value: String
    public var style: ScalarStyle
    /// The explicit tag (`!!str`, `!custom`), or nil when none was written.
    public var tag: String?

    public init(value: String, style: ScalarStyle, tag: String? = nil) {
        self.value = value
        self.style = style
        self.tag = tag
    }

    /// Whether the text holds `byte` (an ASCII byte): a byte search over the contiguous
    /// UTF-8, which the checkers ask for every key and value (`$` of `${{`).
    public func contains(byte: UInt8) -> Bool {
        Self.contains(byte, in: value)
    }

    /// Whether `text` holds the ASCII byte `byte`.
    public static func contains(_ byte: UInt8, in text: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { buffer -> Bool in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return false }
            return memchr(base, Int32(byte), buffer.count) != nil
        }
        return found ?? text.utf8.contains(byte)
    }

    /// A plain scalar that YAML reads as null (`~`, `null`, empty). Inlinable: the checkers
    /// ask it of nearly every node, from another module.
    @inlinable
    public var isNull: Bool {
        guard style == .plain, tag == nil else { return false }
        // Read for nearly every key and value: the length rules out most text at once.
        switch value.utf8.count {
        case 0: return true
        case 1: return value == "~"
        case 4: return value == "null" || value == "Null" || value == "NULL"
        default: return false
        }
    }
}

/// The nodes of one document, stored contiguously: a record per node and, for collections,
/// a run of child indices (key and value alternating in a mapping). ``YAMLNode`` is an index
/// into this storage.
///
/// Why not a class per node: composing a flow file builds tens of thousands of nodes, and
/// one allocation per node plus an array per collection, and the recursive release when a
/// document is dropped, cost more than libyaml's own parsing (measured with callgrind on the
/// 2,000-flow lint corpus: composing and freeing class trees took 347M instructions against
/// libyaml's 277M). Here a document is three allocations, built once and freed at once.
public final class YAMLTree: Sendable {
    @usableFromInline let records: [YAMLNodeRecord]
    /// Scalar values, apart from the records so that records are plain data: copying one
    /// costs no reference counting.
    @usableFromInline let texts: [String]
    @usableFromInline let children: [Int32]
    /// Anchor, tag and alias span of the few nodes that have any, by node index.
    let properties: [Int32: YAMLNodeProperties]
    @usableFromInline let file: String

    init(file: String, records: [YAMLNodeRecord], texts: [String], children: [Int32], properties: [Int32: YAMLNodeProperties]) {
        self.file = file
        self.records = records
        self.texts = texts
        self.children = children
        self.properties = properties
    }
}

/// What one node is: where its text (scalars) or its children (collections) are, and its span.
@usableFromInline
struct YAMLNodeRecord: Sendable {
    @usableFromInline enum Shape: UInt8, Sendable {
        case scalar, sequence, mapping
    }

    @usableFromInline var location: CompactSpan
    /// For scalars, the value's position in ``YAMLTree/texts``; for collections, the first
    /// child's position in ``YAMLTree/children``.
    @usableFromInline var firstChild: Int32
    /// For collections, how many entries of ``YAMLTree/children`` are theirs (2 per pair).
    @usableFromInline var childCount: Int32
    @usableFromInline var shape: Shape
    @usableFromInline var style: ScalarStyle
    @usableFromInline var isFlowStyle: Bool
    /// Whether ``YAMLTree/properties`` holds an entry for this node.
    @usableFromInline var hasProperties: Bool
    /// A plain scalar whose text holds `$`: as a key, the composer checks it for a `${{ … }}`
    /// cut at a `: `. Found from libyaml's bytes, so no key's `String` is searched.
    var isPlainWithDollar = false

    init(location: CompactSpan, firstChild: Int32 = 0, childCount: Int32 = 0, shape: Shape, style: ScalarStyle = .plain, isFlowStyle: Bool = false, hasProperties: Bool) {
        self.location = location
        self.firstChild = firstChild
        self.childCount = childCount
        self.shape = shape
        self.style = style
        self.isFlowStyle = isFlowStyle
        self.hasProperties = hasProperties
    }
}

/// Anchor, tag and alias span: absent on almost every node.
struct YAMLNodeProperties: Sendable {
    var anchor: String?
    /// The tag, of a scalar or of a collection.
    var tag: String?
    var alias: SourceSpan?
}

/// A node of the YAML tree, with the span of its text in the file. Aliases are expanded
/// while composing (within a node budget), so consumers never see them; `alias` keeps the
/// span of the `*name` that produced this copy.
///
/// A node is a position in its document's ``YAMLTree`` and keeps the tree alive.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case sequence(YAMLSequence)
        case mapping(YAMLMapping)
    }

    @usableFromInline let tree: YAMLTree
    @usableFromInline let index: Int

    @inlinable
    init(tree: YAMLTree, index: Int) {
        self.tree = tree
        self.index = index
    }

    // The accessors below are inlinable because the flow decoder, in another module, calls
    // them for every node; as calls they cost more than the reads they wrap.
    @inlinable
    public var kind: Kind {
        switch tree.records[index].shape {
        case .scalar: return .scalar(scalarValue)
        case .sequence: return .sequence(YAMLSequence(tree: tree, record: tree.records[index]))
        case .mapping: return .mapping(YAMLMapping(tree: tree, record: tree.records[index]))
        }
    }

    @inlinable
    public var scalar: YAMLScalar? {
        guard tree.records[index].shape == .scalar else { return nil }
        return scalarValue
    }

    @inlinable
    public var sequence: YAMLSequence? {
        guard tree.records[index].shape == .sequence else { return nil }
        return YAMLSequence(tree: tree, record: tree.records[index])
    }

    @inlinable
    public var mapping: YAMLMapping? {
        guard tree.records[index].shape == .mapping else { return nil }
        return YAMLMapping(tree: tree, record: tree.records[index])
    }

    /// Whether the node is a scalar, without building its value.
    @inlinable
    public var isScalar: Bool { tree.records[index].shape == .scalar }

    @inlinable
    var scalarValue: YAMLScalar {
        let record = tree.records[index]
        return YAMLScalar(value: tree.texts[Int(record.firstChild)], style: record.style, tag: record.hasProperties ? tag : nil)
    }

    /// Where the node's content is written: for a node reached through an alias, the
    /// anchored text. It starts at the content, after any `&anchor` or `!tag`.
    public var span: SourceSpan { tree.records[index].location.span(file: tree.file) }
    public var anchor: String? { properties?.anchor }
    /// The node's explicit tag (`!!map`, `!!str`), nil when not written; a scalar's is also
    /// in its ``YAMLScalar``.
    public var tag: String? { properties?.tag }
    /// The span of the `*name` this node was reached through, nil for a node written in place.
    public var alias: SourceSpan? { properties?.alias }
    /// Flow style (`[a, b]`, `{a: 1}`) rather than block style.
    public var isFlowStyle: Bool { tree.records[index].isFlowStyle }

    private var properties: YAMLNodeProperties? {
        tree.records[index].hasProperties ? tree.properties[Int32(truncatingIfNeeded: index)] : nil
    }

    /// The value for a scalar key in a mapping (keys are unique after composing).
    public subscript(key: String) -> YAMLNode? {
        mapping?.value(forKey: key)
    }

    /// "mapping", "sequence", "string" — for messages such as "expected a mapping, found a sequence".
    public var kindName: String {
        switch tree.records[index].shape {
        case .scalar: return scalarValue.isNull ? "null" : "scalar"
        case .sequence: return "sequence"
        case .mapping: return "mapping"
        }
    }
}

/// The items of a sequence node, in order.
public struct YAMLSequence: RandomAccessCollection, Sendable {
    @usableFromInline let tree: YAMLTree
    @usableFromInline let firstChild: Int
    public let count: Int

    @inlinable
    init(tree: YAMLTree, record: YAMLNodeRecord) {
        self.tree = tree
        firstChild = Int(record.firstChild)
        count = Int(record.childCount)
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> YAMLNode {
        precondition(position >= 0 && position < count, "sequence index out of range")
        return YAMLNode(tree: tree, index: Int(tree.children[firstChild + position]))
    }
}

/// The entries of a mapping node, in the order written; keys are unique.
public struct YAMLMapping: RandomAccessCollection, Sendable {
    @usableFromInline let tree: YAMLTree
    @usableFromInline let firstChild: Int
    public let count: Int

    @inlinable
    init(tree: YAMLTree, record: YAMLNodeRecord) {
        self.tree = tree
        firstChild = Int(record.firstChild)
        count = Int(record.childCount) / 2
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> YAMLPair {
        precondition(position >= 0 && position < count, "mapping index out of range")
        let child = firstChild + 2 * position
        return YAMLPair(tree: tree, keyIndex: Int(tree.children[child]), valueIndex: Int(tree.children[child + 1]))
    }

    /// The value of the first entry whose key is the scalar `key`.
    public func value(forKey key: String) -> YAMLNode? {
        for position in indices {
            let pair = self[position]
            let keyRecord = tree.records[pair.keyIndex]
            if keyRecord.shape == .scalar, tree.texts[Int(keyRecord.firstChild)] == key { return pair.value }
        }
        return nil
    }
}

/// One entry of a mapping, with the key kept as a node for its span.
public struct YAMLPair: Sendable {
    @usableFromInline let tree: YAMLTree
    @usableFromInline let keyIndex: Int
    @usableFromInline let valueIndex: Int

    @inlinable
    init(tree: YAMLTree, keyIndex: Int, valueIndex: Int) {
        self.tree = tree
        self.keyIndex = keyIndex
        self.valueIndex = valueIndex
    }

    @inlinable public var key: YAMLNode { YAMLNode(tree: tree, index: keyIndex) }
    @inlinable public var value: YAMLNode { YAMLNode(tree: tree, index: valueIndex) }
}

/// One `---` document of a stream.
public struct YAMLDocument: Sendable {
    /// Nil for a document with no content; ``YAMLReader`` leaves such documents out, so the
    /// documents it returns always have a root.
    public var root: YAMLNode?
    public var span: SourceSpan

    public init(root: YAMLNode?, span: SourceSpan) {
        self.root = root
        self.span = span
    }
}

/// Limits that keep hostile input cheap: both are diagnostics when exceeded, never a hang
/// or a stack overflow.
public struct YAMLLimits: Sendable {
    /// Nodes per document after expanding aliases.
    public var maxNodesPerDocument: Int = 10_000
    /// Nesting depth of collections.
    public var maxDepth: Int = 64

    public init(maxNodesPerDocument: Int = 10_000, maxDepth: Int = 64) {
        self.maxNodesPerDocument = maxNodesPerDocument
        self.maxDepth = maxDepth
    }
}

/// The documents of one file and what went wrong reading it. A document that could not be
/// read completely is left out; the diagnostics say why.
public struct YAMLStream: Sendable {
    public var file: SourceFile
    public var documents: [YAMLDocument]
    public var diagnostics: [Diagnostic]

    public init(file: SourceFile, documents: [YAMLDocument], diagnostics: [Diagnostic]) {
        self.file = file
        self.documents = documents
        self.diagnostics = diagnostics
    }
}

/// A span's numbers in 32 bits each. Offsets, lines and columns past 2^31 (a file over 2 GB)
/// are clamped rather than trapping; such files are refused long before this in practice.
@usableFromInline
struct CompactSpan: Sendable {
    private var startOffset: Int32
    private var startLine: Int32
    private var startColumn: Int32
    private var endOffset: Int32
    private var endLine: Int32
    private var endColumn: Int32

    init(_ span: SourceSpan) {
        startOffset = Int32(clamping: span.start.offset)
        startLine = Int32(clamping: span.start.line)
        startColumn = Int32(clamping: span.start.column)
        endOffset = Int32(clamping: span.end.offset)
        endLine = Int32(clamping: span.end.line)
        endColumn = Int32(clamping: span.end.column)
    }

    init(start: SourcePosition, end: SourcePosition) {
        startOffset = Int32(clamping: start.offset)
        startLine = Int32(clamping: start.line)
        startColumn = Int32(clamping: start.column)
        endOffset = Int32(clamping: end.offset)
        endLine = Int32(clamping: end.line)
        endColumn = Int32(clamping: end.column)
    }

    var start: SourcePosition {
        SourcePosition(offset: Int(startOffset), line: Int(startLine), column: Int(startColumn))
    }

    var end: SourcePosition {
        SourcePosition(offset: Int(endOffset), line: Int(endLine), column: Int(endColumn))
    }

    /// Whether the span covers no text.
    var isEmpty: Bool { startOffset == endOffset }

    func span(file: String) -> SourceSpan {
        SourceSpan(
            file: file,
            start: SourcePosition(offset: Int(startOffset), line: Int(startLine), column: Int(startColumn)),
            end: SourcePosition(offset: Int(endOffset), line: Int(endLine), column: Int(endColumn))
        )
    }
}
