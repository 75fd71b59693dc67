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

/// One entry of a mapping, with the key kept as a node for its span.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A node of the YAML tree, with the span of its text in the file. Aliases are expanded
/// while composing (within a node budget), so consumers never see them; `alias` keeps the
/// span of the `*name` that produced this copy.
///
/// A file of flows has tens of thousands of nodes, so the storage is compact: the span is
/// kept as 32-bit numbers and rebuilt on access, and the rarely used anchor, tag and alias
/// live in a separate object that most nodes don't have.
public final class YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    /// Anchor, collection tag and alias span: absent on almost every node.
    private final class Properties: Sendable {
        let anchor: String?
        let tag: String?
        let alias: SourceSpan?

        init(anchor: String?, tag: String?, alias: SourceSpan?) {
            self.anchor = anchor
            self.tag = tag
            self.alias = alias
        }
    }

    public let kind: Kind
    private let file: String
    private let location: CompactSpan
    private let properties: Properties?
    /// Flow style (`[a, b]`, `{a: 1}`) rather than block style.
    public let isFlowStyle: Bool

    public init(kind: Kind, span: SourceSpan, anchor: String? = nil, tag: String? = nil, isFlowStyle: Bool = false, alias: SourceSpan? = nil) {
        self.kind = kind
        self.file = span.file
        self.location = CompactSpan(span)
        if anchor != nil || tag != nil || alias != nil {
            properties = Properties(anchor: anchor, tag: tag, alias: alias)
        } else {
            properties = nil
        }
        self.isFlowStyle = isFlowStyle
    }

    /// Where the node's content is written: for a node reached through an alias, the
    /// anchored text. It starts at the content, after any `&anchor` or `!tag`.
    public var span: SourceSpan { location.span(file: file) }
    public var anchor: String? { properties?.anchor }
    /// Tag of a collection (`!!map`), nil when not written. Scalars keep theirs in `YAMLScalar`.
    public var tag: String? { properties?.tag }
    /// The span of the `*name` this node was reached through, nil for a node written in place.
    public var alias: SourceSpan? { properties?.alias }

    // The accessors below are inlinable because the flow decoder, in another module, calls
    // them for every node; as calls they cost more than the reads they wrap.
    @inlinable
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    @inlinable
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    @inlinable
    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for a scalar key in a mapping (keys are unique after composing).
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = kind else { return nil }
        for pair in pairs {
            if case .scalar(let scalar) = pair.key.kind, scalar.value == key { return pair.value }
        }
        return nil
    }

    /// "mapping", "sequence", "string" — for messages such as "expected a mapping, found a sequence".
    public var kindName: String {
        switch kind {
        case .scalar(let scalar): return scalar.isNull ? "null" : "scalar"
        case .sequence: return "sequence"
        case .mapping: return "mapping"
        }
    }
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
struct CompactSpan: Sendable {
    private let startOffset: Int32
    private let startLine: Int32
    private let startColumn: Int32
    private let endOffset: Int32
    private let endLine: Int32
    private let endColumn: Int32

    init(_ span: SourceSpan) {
        startOffset = Int32(clamping: span.start.offset)
        startLine = Int32(clamping: span.start.line)
        startColumn = Int32(clamping: span.start.column)
        endOffset = Int32(clamping: span.end.offset)
        endLine = Int32(clamping: span.end.line)
        endColumn = Int32(clamping: span.end.column)
    }

    func span(file: String) -> SourceSpan {
        SourceSpan(
            file: file,
            start: SourcePosition(offset: Int(startOffset), line: Int(startLine), column: Int(startColumn)),
            end: SourcePosition(offset: Int(endOffset), line: Int(endLine), column: Int(endColumn))
        )
    }
}
