import Diagnostics

/// Reads a flow file into YAML trees: checks the bytes, drives libyaml's event parser and
/// composes a ``YAMLNode`` tree with spans for each document of the stream.
///
/// Reading never throws and never traps on input: every problem is a diagnostic in the
/// returned stream. What the trees hold:
/// - scalars as text with their style and explicit tag (`!!str`, not `tag:yaml.org,2002:str`);
///   YAML 1.1 booleans (`on`, `yes`) are not converted, so `on:` stays a key;
/// - aliases expanded (sharing the anchored node's text and children, see ``YAMLNode/alias``), at most
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
        var documents: [YAMLDocument] = []
        let diagnostics = read(file, limits: limits) { documents.append($0) }
        return YAMLStream(file: file, documents: documents, diagnostics: diagnostics)
    }

    /// Reads `file` as ``read(_:limits:)`` does, but hands each document with a root to
    /// `body` as soon as it is composed and keeps none: a linter holds one document's tree at
    /// a time, whatever the file's size. Returns the diagnostics of reading.
    public static func read(_ file: SourceFile, limits: YAMLLimits = YAMLLimits(), eachDocument body: (YAMLDocument) -> Void) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        guard case .accepted(let input) = InputScreen.screen(file, into: &diagnostics) else {
            return diagnostics
        }
        let marks = MarkConverter(
            file: file,
            input: input.base..<file.bytes.count,
            isASCII: input.isASCII,
            hasIrregularLineBreaks: input.hasIrregularLineBreaks
        )
        let pass = compose(file, range: input.base..<file.bytes.count, marks: marks, limits: limits, eachDocument: body)
        diagnostics += pass.diagnostics
        if let failure = pass.failure {
            var translator = SyntaxErrorTranslator(file: file, marks: marks)
            diagnostics.append(translator.diagnostic(for: failure))
        }
        if pass.documentsWithRoot == 0, !diagnostics.contains(where: { $0.severity == .error }) {
            diagnostics.append(emptyFileDiagnostic(file, base: input.base, documentCount: pass.documentCount))
        }
        return diagnostics
    }

    /// What one run of libyaml and the composer over a range of a file gave.
    private struct ComposePass {
        var diagnostics: [Diagnostic]
        var failure: ParserFailure?
        var documentCount: Int
        var documentsWithRoot: Int
    }

    private static func compose(
        _ file: SourceFile, range: Range<Int>, marks: MarkConverter, limits: YAMLLimits,
        eachDocument body: (YAMLDocument) -> Void
    ) -> ComposePass {
        var composer = Composer(file: file, limits: limits, marks: marks, inputSize: range.count)
        var failure: ParserFailure?
        var delivered = 0
        withEventParser(file.bytes, in: range) { parser in
            var event = ParserEvent(kind: .streamStart, start: Mark(index: 0, line: 0, column: 0), end: Mark(index: 0, line: 0, column: 0))
            while true {
                if let reported = parser.next(into: &event) {
                    failure = reported
                    break
                }
                if event.kind == .streamEnd { break }
                let step = composer.consume(event)
                if event.kind == .documentEnd, let document = composer.takeDocument(), document.root != nil {
                    delivered += 1
                    body(document)
                }
                if case .stop = step { break }
            }
        }
        return ComposePass(diagnostics: composer.diagnostics, failure: failure, documentCount: composer.documentCount, documentsWithRoot: delivered)
    }

    /// Cuts a large file into sections of whole documents that libyaml can read on their own,
    /// so that several threads can read one file. Nil when the file is small or is better
    /// read in one piece.
    ///
    /// A section starts at a line that opens with `---` and a blank or the line's end: libyaml
    /// reads such a line as a document start wherever it stands (inside a scalar or an open
    /// flow collection it is a syntax error), and documents share nothing, neither anchors
    /// nor tags. Files with a byte-order mark or `%` directives (which belong to the document
    /// after them) are never cut. Each section's bytes are checked when it is read, on its
    /// thread: bytes that need a diagnostic, or line breaks other than LF and CR LF, send the
    /// file to a reading in one piece, as a syntax error does (see
    /// ``read(_:of:limits:eachDocument:)``).
    public static func sections(of file: SourceFile, targetSize: Int) -> [YAMLSection]? {
        let bytes = file.bytes
        guard targetSize > 0, bytes.count >= 2 * targetSize, InputScreen.startsAsPlainUTF8(bytes), !hasDirective(bytes)
        else { return nil }
        var starts = [0]
        var next = targetSize
        while next < bytes.count, let start = documentStartLine(in: bytes, from: next) {
            starts.append(start)
            next = start + targetSize
        }
        guard starts.count > 1 else { return nil }
        return starts.indices.map { position in
            let end = position + 1 < starts.count ? starts[position + 1] : bytes.count
            return YAMLSection(range: starts[position]..<end)
        }
    }

    /// Reads one section of `file` (see ``sections(of:targetSize:)``), handing each document
    /// with a root to `body`. Returns false when the section needs a diagnostic of any kind
    /// (invalid UTF-8, a syntax error, a duplicate key, only empty documents) or holds line
    /// breaks other than LF and CR LF: such a file is read whole
    /// with ``read(_:limits:eachDocument:)`` instead, so its diagnostics are exactly those of
    /// a reading in one piece, and what `body` got from its sections is to be dropped.
    public static func read(_ section: YAMLSection, of file: SourceFile, limits: YAMLLimits = YAMLLimits(), eachDocument body: (YAMLDocument) -> Void) -> Bool {
        guard case .valid(let isASCII, hasIrregularLineBreaks: false) = InputScreen.validate(file.bytes, in: section.range) else {
            return false
        }
        let marks = MarkConverter(file: file, input: section.range, isASCII: isASCII, hasIrregularLineBreaks: false)
        let pass = compose(file, range: section.range, marks: marks, limits: limits, eachDocument: body)
        return pass.failure == nil && pass.diagnostics.isEmpty && pass.documentsWithRoot > 0
    }

    /// The start of the first line at or after `offset` that opens with `---` and a blank,
    /// a line break or the end of the file.
    private static func documentStartLine(in bytes: [UInt8], from offset: Int) -> Int? {
        let dash = UInt8(ascii: "-")
        let count = bytes.count
        var search = max(offset, 1) - 1
        while let lineBreak = bytes.index(of: UInt8(ascii: "\n"), from: search) {
            let position = lineBreak + 1
            search = position
            guard position + 3 <= count, bytes[position] == dash, bytes[position + 1] == dash, bytes[position + 2] == dash
            else { continue }
            let after = position + 3
            if after == count { return position }
            switch bytes[after] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): return position
            default: continue
            }
        }
        return nil
    }

    /// Whether a line opens with `%`, a directive such as `%YAML 1.1`.
    private static func hasDirective(_ bytes: [UInt8]) -> Bool {
        if bytes.first == UInt8(ascii: "%") { return true }
        var position = 1
        while let found = bytes.index(of: UInt8(ascii: "%"), from: position) {
            if bytes[found - 1] == UInt8(ascii: "\n") { return true }
            position = found + 1
        }
        return false
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

/// A part of a file made of whole documents, which libyaml reads on its own (see
/// ``YAMLReader/sections(of:targetSize:)``).
public struct YAMLSection: Sendable {
    /// Byte offsets in the file; a section starts at the start of a line.
    public let range: Range<Int>
}
