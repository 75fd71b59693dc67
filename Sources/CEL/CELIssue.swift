import Diagnostics

/// A parse or type error in one expression, positioned by UTF-8 byte offsets into the
/// expression text. Callers that embed expressions (YAML scalars) turn issues into
/// ``Diagnostic``s with ``diagnostic(mapping:)``, mapping expression offsets to file spans.
public struct CELIssue: Error, Sendable, Hashable {
    public var code: DiagnosticCode
    public var severity: Severity
    public var message: String
    /// UTF-8 byte range in the expression text.
    public var range: Range<Int>
    public var label: String?
    public var notes: [String]
    /// A replacement for the text of `range` (a did-you-mean), shown as a fix-it.
    public var replacement: String?

    public init(_ code: DiagnosticCode, _ message: String, at range: Range<Int>, label: String? = nil, notes: [String] = [], replacement: String? = nil, severity: Severity = .error) {
        self.code = code
        self.severity = severity
        self.message = message
        self.range = range
        self.label = label
        self.notes = notes
        self.replacement = replacement
    }

    /// The diagnostic for this issue; `mapping` converts a byte range of the expression into a
    /// span of the file the expression came from.
    public func diagnostic(mapping: (Range<Int>) -> SourceSpan) -> Diagnostic {
        let span = mapping(range)
        var diagnostic = Diagnostic(code, severity, message, at: span, label: label)
        for note in notes { diagnostic = diagnostic.with(note: note) }
        if let replacement { diagnostic = diagnostic.with(fixIt: replacement, at: span) }
        return diagnostic
    }

    /// The diagnostic for an expression that is the whole of `file` (as in `flowc eval`).
    public func diagnostic(in file: SourceFile) -> Diagnostic {
        diagnostic { file.span($0) }
    }
}

extension Array where Element == CELIssue {
    public func diagnostics(mapping: (Range<Int>) -> SourceSpan) -> [Diagnostic] {
        map { $0.diagnostic(mapping: mapping) }
    }
}
