/// What a report covers, printed as the one-line summary and in the JSON `summary` object.
public struct DiagnosticSummary: Sendable, Hashable, Codable {
    public var files: Int
    public var flows: Int
    public var errors: Int
    public var warnings: Int

    public init(files: Int, flows: Int, errors: Int, warnings: Int) {
        self.files = files
        self.flows = flows
        self.errors = errors
        self.warnings = warnings
    }

    public init(files: Int, flows: Int, diagnostics: [Diagnostic]) {
        self.init(
            files: files,
            flows: flows,
            errors: diagnostics.count { $0.severity == .error },
            warnings: diagnostics.count { $0.severity == .warning }
        )
    }

    /// `3 files, 7 flows: 1 error, 2 warnings`
    public var line: String {
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        return "\(plural(files, "file")), \(plural(flows, "flow")): \(plural(errors, "error")), \(plural(warnings, "warning"))"
    }
}

/// The source files a report refers to, so renderers can quote lines.
public struct SourceFiles: Sendable {
    private var files: [String: SourceFile] = [:]

    public init(_ files: [SourceFile] = []) {
        for file in files { add(file) }
    }

    public mutating func add(_ file: SourceFile) {
        files[file.path] = file
    }

    public subscript(path: String) -> SourceFile? { files[path] }
}

/// One output format. Renderers are pure: diagnostics in, text out.
public protocol DiagnosticRenderer {
    func render(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) -> String
}

public enum DiagnosticFormat: String, CaseIterable, Sendable {
    case text, json, sarif, github

    public func renderer(colored: Bool = false, explanations: ExplanationIndex = ExplanationIndex(), toolVersion: String = "0") -> any DiagnosticRenderer {
        switch self {
        case .text: return TextRenderer(colored: colored)
        case .json: return JSONRenderer()
        case .sarif: return SARIFRenderer(explanations: explanations, toolVersion: toolVersion)
        case .github: return GitHubRenderer()
        }
    }
}
