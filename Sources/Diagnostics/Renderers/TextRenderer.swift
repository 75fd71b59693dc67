/// The human format: a header line, the source line with carets under the span, labels,
/// notes and fix-its; colour only when asked (the caller decides from the terminal and
/// `NO_COLOR`).
public struct TextRenderer: DiagnosticRenderer {
    public var colored: Bool

    public init(colored: Bool = false) {
        self.colored = colored
    }

    public func render(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += render(diagnostic, sources: sources)
        }
        return out
    }

    public func render(_ diagnostic: Diagnostic, sources: SourceFiles) -> String {
        let span = diagnostic.span
        var out = "\(location(span)): \(paint(diagnostic.severity.rawValue + "[\(diagnostic.code)]", severityStyle(diagnostic.severity))): \(paint(diagnostic.message, Style.bold))\n"
        let file = sources[span.file]
        let gutterWidth = String(maxLine(diagnostic)).count + 1
        if let file {
            out += snippet(file: file, span: span, label: diagnostic.label, gutterWidth: gutterWidth, style: severityStyle(diagnostic.severity))
        }
        for secondary in diagnostic.secondary {
            if let other = sources[secondary.span.file] {
                if secondary.span.file != span.file {
                    out += "\(String(repeating: " ", count: gutterWidth - 1))--> \(location(secondary.span))\n"
                }
                out += snippet(file: other, span: secondary.span, label: secondary.label, gutterWidth: gutterWidth, style: Style.blue, marker: "-")
            }
        }
        for note in diagnostic.notes {
            if let noteSpan = note.span, let other = sources[noteSpan.file] {
                out += "\(location(noteSpan)): \(paint("note", Style.blue)): \(note.message)\n"
                out += snippet(file: other, span: noteSpan, label: nil, gutterWidth: gutterWidth, style: Style.blue, marker: "-")
            } else {
                out += "\(String(repeating: " ", count: gutterWidth))= \(paint("note", Style.blue)): \(note.message)\n"
            }
        }
        for fix in diagnostic.fixIts {
            let what = fix.replacement.isEmpty ? "remove this" : "replace with `\(fix.replacement)`"
            out += "\(String(repeating: " ", count: gutterWidth))= \(paint("fix", Style.green)): \(location(fix.span)): \(what)\n"
        }
        return out
    }

    private func location(_ span: SourceSpan) -> String {
        "\(span.file):\(span.start.line):\(span.start.column)"
    }

    private func maxLine(_ diagnostic: Diagnostic) -> Int {
        var line = diagnostic.span.start.line
        for secondary in diagnostic.secondary { line = max(line, secondary.span.start.line) }
        for note in diagnostic.notes { line = max(line, note.span?.start.line ?? 0) }
        return line
    }

    /// Longest source line quoted whole; longer lines show a window around the span, so a
    /// minified or generated file does not flood the terminal.
    static let maxQuotedColumns = 120

    /// The first line of the span, with carets under its part of that line.
    private func snippet(file: SourceFile, span: SourceSpan, label: String?, gutterWidth: Int, style: String, marker: Character = "^") -> String {
        let line = span.start.line
        guard line >= 1, line <= file.lineCount else { return "" }
        let characters = Array(file.lineText(line).replacingTabs())
        let gutter = String(repeating: " ", count: gutterWidth)
        let number = String(line)
        let numbered = number + String(repeating: " ", count: gutterWidth - number.count)
        let lineEnd = file.lineEndOffset(line: line)
        let endColumn = span.end.line == line ? span.end.column : file.position(atOffset: lineEnd).column
        var caretStart = max(0, span.start.column - 1)
        var width = max(1, endColumn - span.start.column)
        var text = String(characters)
        if characters.count > Self.maxQuotedColumns {
            let windowStart = max(0, min(caretStart - Self.maxQuotedColumns / 3, characters.count - Self.maxQuotedColumns))
            let windowEnd = min(characters.count, windowStart + Self.maxQuotedColumns)
            let leading = windowStart > 0 ? "…" : ""
            let trailing = windowEnd < characters.count ? "…" : ""
            text = leading + String(characters[windowStart..<windowEnd]) + trailing
            caretStart = caretStart - windowStart + leading.count
            width = max(1, min(width, windowEnd - (span.start.column - 1)))
        }
        var carets = String(repeating: " ", count: caretStart) + paint(String(repeating: marker, count: width), style)
        if let label, !label.isEmpty { carets += " " + paint(label, style) }
        return "\(gutter)|\n\(numbered)| \(text)\n\(gutter)| \(carets)\n"
    }

    private enum Style {
        static let red = "\u{1B}[31m"
        static let yellow = "\u{1B}[33m"
        static let blue = "\u{1B}[34m"
        static let green = "\u{1B}[32m"
        static let bold = "\u{1B}[1m"
        static let reset = "\u{1B}[0m"
    }

    private func severityStyle(_ severity: Severity) -> String {
        switch severity {
        case .error: return Style.red + Style.bold
        case .warning: return Style.yellow + Style.bold
        case .note: return Style.blue
        }
    }

    private func paint(_ text: String, _ style: String) -> String {
        colored ? style + text + Style.reset : text
    }
}

extension String {
    /// Tabs become one space so that carets, which count characters, stay aligned.
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
