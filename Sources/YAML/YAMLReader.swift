import Diagnostics

/// Reads a flow file into YAML trees: checks the bytes, drives libyaml's event parser and
/// composes a ``YAMLNode`` tree with spans for each document of the stream.
///
/// Reading never throws and never traps on input: every problem is a diagnostic in the
/// returned stream. What the trees hold:
/// - scalars as text with their style and explicit tag (`!!str`, not `tag:yaml.org,2002:str`);
///   YAML 1.1 booleans (`on`, `yes`) are not converted, so `on:` stays a key;
/// - aliases expanded (sharing the anchored node, see ``YAMLNode/alias``), at most
///   ``YAMLLimits/maxNodesPerDocument`` nodes per document counting every expansion;
/// - merge keys (`<<: *base`) are NOT merged: they stay ordinary keys named `<<`;
/// - mapping keys unique: a duplicate key (compared by text) and a non-scalar key are errors,
///   and that entry is left out;
/// - spans from the node's content (after `&anchor` and `!tag`) to its end; a block
///   collection or block scalar ends with its last character, not at the next token.
///
/// When libyaml stops at a syntax error the documents completed before it are kept and the
/// rest of the file is not read (libyaml cannot resume after an error); so does nesting
/// deeper than ``YAMLLimits/maxDepth``. A document over the node budget is left out and
/// reading goes on with the next one. Empty documents (a stray `---`) are left out too.
public enum YAMLReader {
    public static func read(_ file: SourceFile, limits: YAMLLimits = YAMLLimits()) -> YAMLStream {
        var diagnostics: [Diagnostic] = []
        guard case .accepted(let input) = InputScreen.screen(file, into: &diagnostics) else {
            return YAMLStream(file: file, documents: [], diagnostics: diagnostics)
        }
        let marks = MarkConverter(
            file: file,
            base: input.base,
            isASCII: input.isASCII,
            hasIrregularLineBreaks: input.hasIrregularLineBreaks
        )
        var composer = Composer(file: file, limits: limits, marks: marks)
        var failure: ParserFailure?
        withEventParser(file.bytes, from: input.base) { parser in
            reading: while true {
                switch parser.next() {
                case .event(let event):
                    if case .streamEnd = event.kind { break reading }
                    if case .stop = composer.consume(event) { break reading }
                case .failure(let reported):
                    failure = reported
                    break reading
                }
            }
        }
        diagnostics.append(contentsOf: composer.diagnostics)
        if let failure {
            var translator = SyntaxErrorTranslator(file: file, marks: marks)
            diagnostics.append(translator.diagnostic(for: failure))
        }
        let documents = composer.documents.filter { $0.root != nil }
        if documents.isEmpty, !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics.append(emptyFileDiagnostic(file, base: input.base, documentCount: composer.documentCount))
        }
        return YAMLStream(file: file, documents: documents, diagnostics: diagnostics)
    }

    /// Drives libyaml's parser over `bytes` and counts its events, building nothing: the
    /// baseline the lint benchmark compares against. Stops at the first error.
    public static func rawEventCount(_ bytes: [UInt8]) -> Int {
        withEventParser(bytes, from: 0) { parser in parser.countEvents() ?? 0 }
    }

    /// A warning rather than an error: an empty file runs nothing and breaks nothing, and a
    /// folder of flows may hold a placeholder; but it is usually a mistake worth seeing.
    private static func emptyFileDiagnostic(_ file: SourceFile, base: Int, documentCount: Int) -> Diagnostic {
        let start = file.position(atOffset: base)
        return Diagnostic(
            .emptyFile, .warning,
            "the file holds no flow",
            at: SourceSpan(file: file.path, start: start, end: start),
            label: documentCount == 0 ? "empty or only comments" : "only empty documents",
            notes: [Note("a flow file holds one or more YAML documents, each a mapping with a `flow:` key")]
        )
    }
}
