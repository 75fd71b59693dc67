import Diagnostics

/// Turns libyaml's error report (a problem, a context, two marks) into a diagnostic that says
/// what to change. The common mistakes in flow files get their own codes and wording; anything
/// else keeps libyaml's text, at libyaml's problem mark, with the context as a note.
struct SyntaxErrorTranslator {
    let file: SourceFile
    var marks: MarkConverter

    mutating func diagnostic(for failure: ParserFailure) -> Diagnostic {
        switch failure.stage {
        case .memory:
            return Diagnostic(.yamlSyntax, .error, "libyaml ran out of memory reading this file", at: .whole(file: file.path))
        case .reader:
            return readerDiagnostic(failure)
        case .scanner, .parser:
            break
        }
        let problem = marks.position(of: failure.problemMark)
        let context = failure.contextMark.map { marks.position(of: $0) }
        let byte = problem.offset < file.bytes.count ? file.bytes[problem.offset] : nil

        if byte == UInt8(ascii: "\t") || failure.problem.contains("tab character") {
            var diagnostic = tabDiagnostic(at: problem)
            if failure.context == "while scanning a block scalar" {
                diagnostic.notes.append(Note(
                    "if the tab is text of the block scalar, give its indentation explicitly, as in `|2`"
                ))
            }
            return diagnostic
        }
        if failure.problem == "mapping values are not allowed in this context" {
            return colonDiagnostic(at: problem)
        }
        if failure.context == "while scanning a quoted scalar",
           failure.problem.contains("end of stream") || failure.problem.contains("document indicator"),
           let context {
            return unclosedQuoteDiagnostic(opening: context, problem: problem)
        }
        if failure.problem.hasPrefix("did not find expected ',' or ") {
            return unclosedFlowDiagnostic(failure, problem: problem, opening: context)
        }
        if failure.problem == "did not find expected node content", failure.context == "while parsing a flow node", byte == nil {
            return unclosedFlowDiagnostic(failure, problem: problem, opening: nil)
        }
        if failure.problem == "found unknown escape character" {
            return escapeDiagnostic(at: problem)
        }
        if let byte, byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}"),
           failure.problem == "did not find expected key" || failure.problem == "did not find expected node content" {
            let bracket = Character(Unicode.Scalar(byte))
            return Diagnostic(
                .yamlSyntax, .error,
                "unmatched `\(bracket)`",
                at: span(problem, length: 1),
                label: "no `\(bracket == "]" ? "[" : "{")` is open here"
            )
        }
        if failure.problem == "did not find expected key" || failure.problem == "did not find expected '-' indicator" {
            if !isFirstOnLine(problem) {
                return trailingTextDiagnostic(at: problem)
            }
            return indentationDiagnostic(failure, problem: problem, context: context)
        }
        if failure.problem == "could not find expected ':'", failure.context == "while scanning a simple key", let context {
            let lineEnd = file.lineEndOffset(line: context.line)
            let keySpan = file.span(context.offset..<max(context.offset + 1, lineEnd))
            let key = file.text(keySpan.start.offset..<keySpan.end.offset)
            return Diagnostic(
                .yamlSyntax, .error,
                "expected `:` after `\(key)`",
                at: keySpan,
                label: "neither a `key: value` entry nor part of a value",
                notes: [Note("write `\(key): …`, or indent the line if it continues the value above")]
            )
        }
        if failure.problem == "block sequence entries are not allowed in this context" {
            return Diagnostic(
                .yamlSyntax, .error,
                "a block sequence cannot start on the same line as its key",
                at: span(problem, length: 1),
                label: "`- ` here starts a sequence item",
                notes: [Note("put each `- ` item on its own line, indented under the key, or write a flow sequence `[a, b]`")]
            )
        }
        if failure.problem == "found incompatible YAML document" {
            return Diagnostic(
                .yamlSyntax, .error,
                "unsupported YAML version; flowc reads YAML 1.1",
                at: span(problem, length: 9),
                notes: [Note("remove the `%YAML` directive")]
            )
        }
        if failure.problem == "found character that cannot start any token", let byte,
           byte == UInt8(ascii: "@") || byte == UInt8(ascii: "`") {
            let character = Character(Unicode.Scalar(byte))
            return Diagnostic(
                .yamlSyntax, .error,
                "`\(character)` cannot start a plain value; YAML reserves it",
                at: span(problem, length: 1),
                label: "reserved character",
                notes: [Note("quote the value: `\"\(character)…\"`")]
            )
        }
        return genericDiagnostic(failure, problem: problem, context: context)
    }

    // MARK: - The cases

    private mutating func readerDiagnostic(_ failure: ParserFailure) -> Diagnostic {
        let position = marks.position(ofInputOffset: failure.problemOffset)
        if failure.problem == "control characters are not allowed" {
            let codePoint = String(failure.problemValue, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: max(0, 4 - codePoint.count)) + codePoint
            return Diagnostic(
                .controlCharacter, .error,
                "control character U+\(padded) is not allowed in YAML",
                at: span(position, length: 1),
                label: "invisible character here",
                notes: [Note("write it as an escape in a double-quoted string (`\"\\u\(padded)\"`) or remove it")]
            )
        }
        return Diagnostic(.yamlSyntax, .error, Self.readable(failure.problem), at: span(position, length: 1))
    }

    private func tabDiagnostic(at problem: SourcePosition) -> Diagnostic {
        let bytes = file.bytes
        var end = problem.offset
        while end < bytes.count, bytes[end] == UInt8(ascii: "\t") { end += 1 }
        let tabs = max(end - problem.offset, 1)
        let tabSpan = file.span(problem.offset..<max(end, problem.offset + 1))
        return Diagnostic(
            .tabIndentation, .error,
            "tab character in indentation; YAML indents with spaces only",
            at: tabSpan,
            label: tabs == 1 ? "tab" : "\(tabs) tabs",
            notes: [Note("set your editor to insert spaces for this file type")],
            fixIts: [FixIt(span: tabSpan, replacement: String(repeating: "  ", count: tabs))]
        )
    }

    /// `: ` inside a plain value. With `${{` on the line, it is nearly always an expression
    /// that holds `: ` (a ternary, a map literal) or is followed by one, and quoting fixes it.
    private func colonDiagnostic(at problem: SourcePosition) -> Diagnostic {
        let lineStart = file.lineStarts[max(0, min(problem.line - 1, file.lineStarts.count - 1))]
        let before = file.text(lineStart..<max(lineStart, problem.offset))
        let colonSpan = span(problem, length: 1)
        let quoted = quotedValueFix(line: problem.line, lineStart: lineStart, before: before)

        if before.contains("${{") {
            var diagnostic = Diagnostic(
                .unquotedExpressionColon, .error,
                "`: ` in an unquoted value with `${{ … }}`",
                at: colonSpan,
                label: "YAML reads this `:` as the start of a mapping value",
                notes: [Note("YAML splits plain text at `: `, also inside `${{ }}`; quote the whole value")]
            )
            if let quoted {
                diagnostic.notes.append(Note("write `\(quoted.replacement)`"))
                diagnostic.fixIts.append(quoted)
            }
            return diagnostic
        }

        var diagnostic = Diagnostic(
            .unexpectedColon, .error,
            "unexpected `: ` inside a plain value",
            at: colonSpan,
            label: "YAML reads this `:` as the start of a mapping value"
        )
        let trimmed = before.drop { $0 == " " || $0 == "-" }
        if before.contains(": ") {
            diagnostic.notes.append(Note("if `: ` belongs to the value, quote the value"))
            if let quoted {
                diagnostic.notes.append(Note("write `\(quoted.replacement)`"))
                diagnostic.fixIts.append(quoted)
            }
        } else {
            diagnostic.notes.append(Note(
                "`\(trimmed)` is indented more than the key above it, so YAML reads it as part of that key's value; indent it like the keys around it"
            ))
        }
        return diagnostic
    }

    private func unclosedQuoteDiagnostic(opening: SourcePosition, problem: SourcePosition) -> Diagnostic {
        let quote = opening.offset < file.bytes.count ? Character(Unicode.Scalar(file.bytes[opening.offset])) : "\""
        let atEnd = problem.offset >= file.bytes.count
        return Diagnostic(
            .unclosedQuote, .error,
            "quoted string is never closed",
            at: span(opening, length: 1),
            label: "this \(quote) has no closing \(quote)",
            secondary: [SecondarySpan(span: span(problem, length: 0), label: atEnd ? "the file ends here" : "the document ends here")],
            notes: [Note("a quoted string may span lines, so everything up to here was read as its text")]
        )
    }

    private func unclosedFlowDiagnostic(_ failure: ParserFailure, problem: SourcePosition, opening: SourcePosition?) -> Diagnostic {
        let isMapping = failure.problem.hasSuffix("'}'") || failure.context == "while parsing a flow mapping"
        let kind = isMapping ? "mapping" : "sequence"
        let closer = isMapping ? "}" : "]"
        let atEnd = problem.offset >= file.bytes.count
        var diagnostic: Diagnostic
        if atEnd {
            diagnostic = Diagnostic(
                .unclosedFlowCollection, .error,
                opening == nil ? "the file ends inside a flow collection" : "the file ends inside a flow \(kind)",
                at: span(problem, length: 0),
                label: opening == nil ? "expected a closing `]` or `}`" : "expected `\(closer)`"
            )
        } else {
            diagnostic = Diagnostic(
                .unclosedFlowCollection, .error,
                "expected `,` or `\(closer)` in a flow \(kind)",
                at: span(problem, length: 1),
                label: "the \(kind) is not closed before this"
            )
        }
        if let opening {
            diagnostic.secondary.append(SecondarySpan(span: span(opening, length: 1), label: "the \(kind) opens here"))
        }
        diagnostic.notes.append(Note("entries of `[ … ]` and `{ … }` are separated by `,` and the brackets must be closed"))
        return diagnostic
    }

    private func escapeDiagnostic(at problem: SourcePosition) -> Diagnostic {
        let escape = file.text(problem.offset..<min(problem.offset + 2, file.bytes.count))
        let backslash = span(problem, length: 1)
        return Diagnostic(
            .invalidEscape, .error,
            "unknown escape `\(escape)` in a double-quoted string",
            at: span(problem, length: 2),
            label: "not a YAML escape",
            notes: [Note("in double quotes `\\` starts an escape; write `\\\\` for a backslash, or use single quotes")],
            fixIts: [FixIt(span: backslash, replacement: "\\\\")]
        )
    }

    /// Text after a complete value on the same line: `a: "x" y`, `a: [b] c`.
    private func trailingTextDiagnostic(at problem: SourcePosition) -> Diagnostic {
        Diagnostic(
            .yamlSyntax, .error,
            "unexpected text after the end of a value",
            at: SourceSpan(file: file.path, start: problem, end: file.position(atOffset: file.lineEndOffset(line: problem.line))),
            label: "expected the end of the line (or a `#` comment)",
            notes: [Note("a quoted or bracketed value ends at its closing quote or bracket; if the text belongs to the value, quote all of it")]
        )
    }

    private func isFirstOnLine(_ position: SourcePosition) -> Bool {
        let lineStart = file.lineStarts[max(0, min(position.line - 1, file.lineStarts.count - 1))]
        var offset = lineStart
        while offset < position.offset, offset < file.bytes.count, file.bytes[offset] == UInt8(ascii: " ") {
            offset += 1
        }
        return offset >= position.offset
    }

    private func indentationDiagnostic(_ failure: ParserFailure, problem: SourcePosition, context: SourcePosition?) -> Diagnostic {
        let isMapping = failure.problem == "did not find expected key"
        let kind = isMapping ? "mapping" : "sequence"
        let startsItem = problem.offset < file.bytes.count && file.bytes[problem.offset] == UInt8(ascii: "-")
        let isAligned = context.map { $0.column == problem.column } ?? false
        var diagnostic: Diagnostic
        if isAligned, isMapping == startsItem {
            // In the right column, but the wrong kind of entry: `- x` among keys or `k: v` among items.
            diagnostic = Diagnostic(
                .badIndentation, .error,
                isMapping ? "a `- ` item among the keys of a mapping" : "a `key: value` entry among the `- ` items of a sequence",
                at: span(problem, length: 1),
                label: isMapping ? "sequence item" : "mapping entry",
                notes: [Note(isMapping
                    ? "a mapping holds `key: value` entries only; put the items under a key, indented further"
                    : "a sequence holds `- ` items only; start the entry with `- `, or indent it under an item")]
            )
        } else {
            diagnostic = Diagnostic(
                .badIndentation, .error,
                "bad indentation: expected \(isMapping ? "a key" : "an item (`- `)") of the \(kind) at this column",
                at: span(problem, length: 1),
                label: "not aligned with the \(kind)'s entries",
                notes: [Note("entries of one \(kind) start in the same column; what belongs to an entry is indented further")]
            )
        }
        if let context {
            diagnostic.secondary.append(SecondarySpan(span: span(context, length: 1), label: "the \(kind) starts here, in column \(context.column)"))
        }
        return diagnostic
    }

    private func genericDiagnostic(_ failure: ParserFailure, problem: SourcePosition, context: SourcePosition?) -> Diagnostic {
        var diagnostic = Diagnostic(
            .yamlSyntax, .error,
            Self.readable(failure.problem),
            at: span(problem, length: problem.offset < file.bytes.count ? 1 : 0)
        )
        if let text = failure.context {
            diagnostic.notes.append(Note(Self.readable(text), at: context.map { span($0, length: 1) }))
        }
        return diagnostic
    }

    // MARK: - Helpers

    /// A span of `length` characters (not bytes) from `start`, clipped to its line.
    private func span(_ start: SourcePosition, length: Int) -> SourceSpan {
        let lineEnd = file.lineEndOffset(line: start.line)
        var end = start.offset
        var remaining = length
        while remaining > 0, end < lineEnd {
            end += 1
            while end < lineEnd, file.bytes[end] & 0xC0 == 0x80 { end += 1 }
            remaining -= 1
        }
        let endPosition = SourcePosition(offset: end, line: start.line, column: start.column + (length - remaining))
        return SourceSpan(file: file.path, start: start, end: endPosition)
    }

    /// A fix-it that quotes the plain value on a line: from after `key: ` (or `- `) to the end
    /// of the line, leaving a trailing comment out.
    private func quotedValueFix(line: Int, lineStart: Int, before: String) -> FixIt? {
        let lineEnd = file.lineEndOffset(line: line)
        let text = file.text(lineStart..<lineEnd)
        let utf8 = Array(text.utf8)
        let beforeCount = before.utf8.count
        var valueStart = 0
        let expressionStart = Self.find(Array("${{".utf8), in: utf8, from: 0) ?? beforeCount
        if let separator = Self.find(Array(": ".utf8), in: utf8, from: 0), separator < expressionStart {
            valueStart = separator + 2
        } else {
            while valueStart < utf8.count, utf8[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            if valueStart + 1 < utf8.count, utf8[valueStart] == UInt8(ascii: "-"), utf8[valueStart + 1] == UInt8(ascii: " ") {
                valueStart += 2
            }
        }
        while valueStart < utf8.count, utf8[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        var valueEnd = utf8.count
        let lastClose = Self.findLast(Array("}}".utf8), in: utf8) ?? valueStart
        if let comment = Self.find(Array(" #".utf8), in: utf8, from: max(lastClose, valueStart)) {
            valueEnd = comment
        }
        while valueEnd > valueStart, utf8[valueEnd - 1] == UInt8(ascii: " ") { valueEnd -= 1 }
        guard valueStart < valueEnd else { return nil }
        let first = utf8[valueStart]
        guard first != UInt8(ascii: "\""), first != UInt8(ascii: "'") else { return nil }
        let value = String(decoding: utf8[valueStart..<valueEnd], as: UTF8.self)
        let replacement = Composer.quoted(value)
        return FixIt(span: file.span((lineStart + valueStart)..<(lineStart + valueEnd)), replacement: replacement)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }

    private static func findLast(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for index in stride(from: haystack.count - needle.count, through: 0, by: -1)
        where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }

    /// libyaml's wording with its `'x'` quotes turned into backticks.
    static func readable(_ text: String) -> String {
        var result = ""
        var isOpen = false
        for character in text {
            if character == "'" {
                result.append("`")
                isOpen.toggle()
            } else {
                result.append(character)
            }
        }
        return isOpen ? text : result
    }
}
