/// `--format github`: workflow commands that GitHub Actions turns into annotations.
public struct GitHubRenderer: DiagnosticRenderer {
    public init() {}

    public func render(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) -> String {
        var out = ""
        for diagnostic in diagnostics {
            let span = diagnostic.span
            let command: String
            switch diagnostic.severity {
            case .error: command = "error"
            case .warning: command = "warning"
            case .note: command = "notice"
            }
            var message = diagnostic.message
            if let label = diagnostic.label, !label.isEmpty { message += " (\(label))" }
            for note in diagnostic.notes { message += "\nnote: " + note.message }
            out += "::\(command) file=\(Self.escapeProperty(span.file)),line=\(span.start.line),col=\(span.start.column),endLine=\(span.end.line),endColumn=\(span.end.column),title=\(diagnostic.code)::\(Self.escapeData(message))\n"
        }
        return out
    }

    /// GitHub's escaping for the message part of a workflow command.
    static func escapeData(_ text: String) -> String {
        text.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    /// Property values additionally escape `:` and `,`.
    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
