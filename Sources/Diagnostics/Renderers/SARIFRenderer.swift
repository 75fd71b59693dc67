/// `--format sarif`: SARIF 2.1.0, one run, one rule per code that the report uses.
public struct SARIFRenderer: DiagnosticRenderer {
    public var explanations: ExplanationIndex
    public var toolVersion: String

    public init(explanations: ExplanationIndex, toolVersion: String) {
        self.explanations = explanations
        self.toolVersion = toolVersion
    }

    public func render(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) -> String {
        let codes = Array(Set(diagnostics.map(\.code))).sorted()
        var ruleIndex: [DiagnosticCode: Int] = [:]
        for (index, code) in codes.enumerated() { ruleIndex[code] = index }
        let rules: [JSONValue] = codes.map { code in
            let explanation = explanations[code]
            var rule: [(String, JSONValue)] = [("id", .string(code.rawValue))]
            if let explanation {
                rule.append(("name", .string(explanation.name)))
                rule.append(("shortDescription", .object([("text", .string(explanation.summary))])))
                rule.append(("fullDescription", .object([("text", .string(explanation.details))])))
                rule.append(("help", .object([("text", .string("flowc explain \(code)"))])))
                rule.append(("defaultConfiguration", .object([("level", .string(Self.level(explanation.severity)))])))
            }
            return .object(rule)
        }
        let results: [JSONValue] = diagnostics.map { diagnostic in
            var result: [(String, JSONValue)] = [
                ("ruleId", .string(diagnostic.code.rawValue)),
                ("ruleIndex", .int(ruleIndex[diagnostic.code] ?? 0)),
                ("level", .string(Self.level(diagnostic.severity))),
                ("message", .object([("text", .string(diagnostic.message + (diagnostic.label.map { " (\($0))" } ?? "")))])),
                ("locations", .array([Self.location(diagnostic.span)])),
            ]
            let related = diagnostic.secondary.map { ($0.span, $0.label) } + diagnostic.notes.compactMap { note in note.span.map { ($0, note.message) } }
            if !related.isEmpty {
                result.append(("relatedLocations", .array(related.enumerated().map { index, item in
                    Self.location(item.0, id: index, message: item.1)
                })))
            }
            if !diagnostic.fixIts.isEmpty {
                result.append(("fixes", .array(diagnostic.fixIts.map { fix in
                    .object([
                        ("description", .object([("text", .string("replace with `\(fix.replacement)`"))])),
                        ("artifactChanges", .array([.object([
                            ("artifactLocation", .object([("uri", .string(fix.span.file))])),
                            ("replacements", .array([.object([
                                ("deletedRegion", Self.region(fix.span)),
                                ("insertedContent", .object([("text", .string(fix.replacement))])),
                            ])])),
                        ])])),
                    ])
                })))
            }
            return .object(result)
        }
        let document = JSONValue.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("flowc")),
                    ("version", .string(toolVersion)),
                    ("informationUri", .string("https://github.com/flowc/flowc")),
                    ("rules", .array(rules)),
                ]))])),
                ("results", .array(results)),
            ])])),
        ])
        return document.serialized(indent: 2) + "\n"
    }

    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .note: return "note"
        }
    }

    static func region(_ span: SourceSpan) -> JSONValue {
        .object([
            ("startLine", .int(span.start.line)),
            ("startColumn", .int(span.start.column)),
            ("endLine", .int(span.end.line)),
            ("endColumn", .int(span.end.column)),
        ])
    }

    static func location(_ span: SourceSpan, id: Int? = nil, message: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let id { members.append(("id", .int(id))) }
        members.append(("physicalLocation", .object([
            ("artifactLocation", .object([("uri", .string(span.file))])),
            ("region", region(span)),
        ])))
        if let message { members.append(("message", .object([("text", .string(message))]))) }
        return .object(members)
    }
}
