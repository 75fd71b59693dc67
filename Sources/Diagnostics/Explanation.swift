/// The long text behind a code, for `flowc explain` and for SARIF rules. Each producing layer
/// lists the explanations of its own codes next to the code that emits them; the command
/// line gathers them into one ``ExplanationIndex``.
public struct Explanation: Sendable, Hashable {
    public var code: DiagnosticCode
    /// A short name for the rule, in words (`unknown-key`).
    public var name: String
    /// One line: what the code means.
    public var summary: String
    /// Why it matters and how to fix it, one or more paragraphs.
    public var details: String
    /// A flow (or expression) that triggers the code.
    public var wrong: String
    /// The same, corrected.
    public var right: String
    public var severity: Severity

    public init(_ code: DiagnosticCode, name: String, severity: Severity = .error, summary: String, details: String, wrong: String, right: String) {
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self.details = details
        self.wrong = wrong
        self.right = right
    }
}

public struct ExplanationIndex: Sendable {
    public let all: [Explanation]
    private let byCode: [DiagnosticCode: Explanation]

    public init(_ lists: [Explanation]...) {
        let merged = lists.flatMap { $0 }.sorted { $0.code < $1.code }
        all = merged
        var map: [DiagnosticCode: Explanation] = [:]
        for explanation in merged where map[explanation.code] == nil {
            map[explanation.code] = explanation
        }
        byCode = map
    }

    public subscript(code: DiagnosticCode) -> Explanation? { byCode[code] }

    /// Codes registered more than once: a test keeps this empty.
    public var duplicateCodes: [DiagnosticCode] {
        var seen = Set<DiagnosticCode>()
        return all.compactMap { seen.insert($0.code).inserted ? nil : $0.code }
    }
}
