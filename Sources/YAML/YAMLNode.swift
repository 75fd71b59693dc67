import Diagnostics

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

    /// A plain scalar that YAML reads as null (`~`, `null`, empty).
    public var isNull: Bool {
        style == .plain && tag == nil && (value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL")
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
public final class YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public let kind: Kind
    public let span: SourceSpan
    public let anchor: String?
    /// Tag of a collection (`!!map`), nil when not written. Scalars keep theirs in `YAMLScalar`.
    public let tag: String?
    /// Flow style (`[a, b]`, `{a: 1}`) rather than block style.
    public let isFlowStyle: Bool

    public init(kind: Kind, span: SourceSpan, anchor: String? = nil, tag: String? = nil, isFlowStyle: Bool = false) {
        self.kind = kind
        self.span = span
        self.anchor = anchor
        self.tag = tag
        self.isFlowStyle = isFlowStyle
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for a scalar key in a mapping (keys are unique after composing).
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar?.value == key }?.value
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
    /// Nil for a document with no content.
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
