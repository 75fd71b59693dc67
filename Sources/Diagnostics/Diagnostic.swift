/// A stable diagnostic code, `FC` and four digits. Producers declare their codes as static
/// members (`extension DiagnosticCode { static let unknownKey = DiagnosticCode("FC0102") }`),
/// so nobody types a code twice, and register an ``Explanation`` for `flowc explain`.
public struct DiagnosticCode: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum Severity: String, Sendable, Codable, Comparable {
    case error, warning, note

    private var rank: Int {
        switch self {
        case .error: return 2
        case .warning: return 1
        case .note: return 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A labelled span shown beside the primary one (for example "first defined here").
public struct SecondarySpan: Hashable, Sendable {
    public var span: SourceSpan
    public var label: String

    public init(span: SourceSpan, label: String) {
        self.span = span
        self.label = label
    }
}

/// A note attached to a diagnostic; without a span it reads as `= note: …` under the snippet.
public struct Note: Hashable, Sendable {
    public var span: SourceSpan?
    public var message: String

    public init(_ message: String, at span: SourceSpan? = nil) {
        self.message = message
        self.span = span
    }
}

/// A suggested edit: replace the text of `span` with `replacement`.
public struct FixIt: Hashable, Sendable {
    public var span: SourceSpan
    public var replacement: String

    public init(span: SourceSpan, replacement: String) {
        self.span = span
        self.replacement = replacement
    }
}

/// The one diagnostics model of flowc, produced by every layer and printed by the renderers.
public struct Diagnostic: Hashable, Sendable {
    public var code: DiagnosticCode
    public var severity: Severity
    public var message: String
    public var span: SourceSpan
    /// Printed under the carets of the primary span.
    public var label: String?
    public var secondary: [SecondarySpan]
    public var notes: [Note]
    public var fixIts: [FixIt]

    public init(
        _ code: DiagnosticCode,
        _ severity: Severity = .error,
        _ message: String,
        at span: SourceSpan,
        label: String? = nil,
        secondary: [SecondarySpan] = [],
        notes: [Note] = [],
        fixIts: [FixIt] = []
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.span = span
        self.label = label
        self.secondary = secondary
        self.notes = notes
        self.fixIts = fixIts
    }

    public static func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) -> Diagnostic {
        Diagnostic(code, .error, message, at: span, label: label)
    }

    public static func warning(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) -> Diagnostic {
        Diagnostic(code, .warning, message, at: span, label: label)
    }

    public func with(note: String, at span: SourceSpan? = nil) -> Diagnostic {
        var copy = self
        copy.notes.append(Note(note, at: span))
        return copy
    }

    public func with(fixIt replacement: String, at span: SourceSpan) -> Diagnostic {
        var copy = self
        copy.fixIts.append(FixIt(span: span, replacement: replacement))
        return copy
    }

    public func with(secondary label: String, at span: SourceSpan) -> Diagnostic {
        var copy = self
        copy.secondary.append(SecondarySpan(span: span, label: label))
        return copy
    }

    /// A diagnostic reported in source order: by file, position, then code.
    public static func sourceOrder(_ lhs: Diagnostic, _ rhs: Diagnostic) -> Bool {
        if lhs.span.file != rhs.span.file { return lhs.span.file < rhs.span.file }
        if lhs.span.start.offset != rhs.span.start.offset { return lhs.span.start.offset < rhs.span.start.offset }
        return lhs.code < rhs.code
    }
}

/// Collects diagnostics while a layer works; layers never throw on user errors.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func add(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    public mutating func add(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) {
        add(.error(code, message, at: span, label: label))
    }

    public mutating func warning(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) {
        add(.warning(code, message, at: span, label: label))
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }
}
