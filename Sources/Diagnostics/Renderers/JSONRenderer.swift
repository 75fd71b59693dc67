/// `--format json`: one object, `{"version": 1, "diagnostics": [...], "summary": {...}}`.
public struct JSONRenderer: DiagnosticRenderer {
    public init() {}

    public func render(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) -> String {
        let object = JSONValue.object([
            ("version", .int(1)),
            ("diagnostics", .array(diagnostics.map(Self.json))),
            ("summary", .object([
                ("files", .int(summary.files)),
                ("flows", .int(summary.flows)),
                ("errors", .int(summary.errors)),
                ("warnings", .int(summary.warnings)),
            ])),
        ])
        return object.serialized(indent: 2) + "\n"
    }

    public static func json(_ diagnostic: Diagnostic) -> JSONValue {
        let span = diagnostic.span
        var members: [(String, JSONValue)] = [
            ("file", .string(span.file)),
            ("line", .int(span.start.line)),
            ("column", .int(span.start.column)),
            ("endLine", .int(span.end.line)),
            ("endColumn", .int(span.end.column)),
            ("severity", .string(diagnostic.severity.rawValue)),
            ("code", .string(diagnostic.code.rawValue)),
            ("message", .string(diagnostic.message)),
        ]
        if let label = diagnostic.label {
            members.append(("label", .string(label)))
        }
        var notes: [JSONValue] = diagnostic.secondary.map { secondary in
            .object([
                ("file", .string(secondary.span.file)),
                ("line", .int(secondary.span.start.line)),
                ("column", .int(secondary.span.start.column)),
                ("message", .string(secondary.label)),
            ])
        }
        notes += diagnostic.notes.map { note in
            let at = note.span ?? span
            return .object([
                ("file", .string(at.file)),
                ("line", .int(at.start.line)),
                ("column", .int(at.start.column)),
                ("message", .string(note.message)),
            ])
        }
        members.append(("notes", .array(notes)))
        members.append(("fixes", .array(diagnostic.fixIts.map { fix in
            .object([
                ("line", .int(fix.span.start.line)),
                ("column", .int(fix.span.start.column)),
                ("endLine", .int(fix.span.end.line)),
                ("endColumn", .int(fix.span.end.column)),
                ("replacement", .string(fix.replacement)),
            ])
        })))
        return .object(members)
    }
}
