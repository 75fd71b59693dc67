import Diagnostics
import Testing
@testable import YAML

@Suite("libyaml errors as diagnostics") struct SyntaxErrorTests {
    private func only(_ text: String) throws -> Diagnostic {
        let stream = read(text)
        #expect(stream.diagnostics.count == 1, "\(stream.diagnostics)")
        return try #require(stream.diagnostics.first)
    }

    @Test func colonInsideUnquotedExpression() throws {
        let diagnostic = try only("flow: a\nif: ${{ a ? b : c }}\n")
        #expect(diagnostic.code == .unquotedExpressionColon)
        #expect(diagnostic.span.compact == "2:15-2:16")
        let fix = try #require(diagnostic.fixIts.first)
        #expect(fix.replacement == "\"${{ a ? b : c }}\"")
        #expect(fix.span.compact == "2:5-2:21")
        #expect(diagnostic.notes.contains { $0.message == "write `\"${{ a ? b : c }}\"`" })
    }

    @Test func colonInsideExpressionMapLiteralAndSequenceItem() throws {
        let literal = try only("with:\n  data: ${{ {'a': b} }}\n")
        #expect(literal.code == .unquotedExpressionColon)
        #expect(literal.fixIts.first?.replacement == "\"${{ {'a': b} }}\"")
        let item = try only("conditions:\n  - ${{ a ? b : c }}   # why\n")
        #expect(item.code == .unquotedExpressionColon)
        #expect(item.fixIts.first?.replacement == "\"${{ a ? b : c }}\"")
        #expect(item.fixIts.first?.span.compact == "2:5-2:21")
    }

    @Test func splitExpressionWithAnAliasValue() throws {
        let stream = read("x: &v c\nlist:\n  - ${{ a ? b: *v\n")
        #expect(stream.codes == [.unquotedExpressionColon])
        #expect(stream.diagnostics.first?.fixIts.isEmpty == true)
    }

    @Test func colonAfterAnUnquotedExpression() throws {
        let diagnostic = try only("url: ${{ x }}: y   # comment\n")
        #expect(diagnostic.code == .unquotedExpressionColon)
        #expect(diagnostic.span.compact == "1:14-1:15")
        #expect(diagnostic.fixIts.first?.replacement == "\"${{ x }}: y\"")
        #expect(diagnostic.fixIts.first?.span.compact == "1:6-1:17")
    }

    @Test func expressionWithQuotesAndBackslashesIsSingleQuoted() throws {
        let diagnostic = try only("- if: ${{ a.matches(\"\\\\d\") ? 'x' : 'y' }}\n")
        #expect(diagnostic.code == .unquotedExpressionColon)
        #expect(diagnostic.fixIts.first?.replacement == "'${{ a.matches(\"\\\\d\") ? ''x'' : ''y'' }}'")
    }

    @Test func colonInPlainValue() throws {
        let diagnostic = try only("description: note: read this\n")
        #expect(diagnostic.code == .unexpectedColon)
        #expect(diagnostic.span.compact == "1:18-1:19")
        #expect(diagnostic.fixIts.first?.replacement == "\"note: read this\"")
    }

    @Test func overIndentedKey() throws {
        let diagnostic = try only("timeout: 10s\n  retry: 3\n")
        #expect(diagnostic.code == .unexpectedColon)
        #expect(diagnostic.span.compact == "2:8-2:9")
        #expect(diagnostic.notes.first?.message.hasPrefix("`retry` is indented more than the key above it") == true)
        #expect(diagnostic.fixIts.isEmpty)
    }

    @Test func underIndentedKey() throws {
        let diagnostic = try only("trigger:\n  type: x\n segment: VIP\n")
        #expect(diagnostic.code == .badIndentation)
        #expect(diagnostic.span.compact == "3:2-3:3")
        #expect(diagnostic.secondary.first?.span.compact == "1:1-1:2")
    }

    @Test func misalignedSequenceItem() throws {
        let diagnostic = try only("a:\n  - x\n - y\n")
        #expect([DiagnosticCode.badIndentation, .yamlSyntax].contains(diagnostic.code))
        #expect(diagnostic.span.start.line == 3)
    }

    @Test func itemAmongMappingKeysAndEntryAmongItems() throws {
        let item = try only("key: value\n- item\n")
        #expect(item.code == .badIndentation)
        #expect(item.message == "a `- ` item among the keys of a mapping")
        #expect(item.span.compact == "2:1-2:2")
        let entry = try only("- a\nb: 1\n")
        #expect(entry.code == .badIndentation)
        #expect(entry.message == "a `key: value` entry among the `- ` items of a sequence")
        #expect(entry.secondary.first?.span.compact == "1:1-1:2")
    }

    @Test func textAfterAQuotedValue() throws {
        let diagnostic = try only("a: 'x' y\n")
        #expect(diagnostic.code == .yamlSyntax)
        #expect(diagnostic.message == "unexpected text after the end of a value")
        #expect(diagnostic.span.compact == "1:8-1:9")
    }

    @Test func unmatchedBrackets() throws {
        let brace = try only("a: {b: c}}\n")
        #expect(brace.message == "unmatched `}`")
        #expect(brace.span.compact == "1:10-1:11")
        let bracket = try only("]\n")
        #expect(bracket.message == "unmatched `]`")
    }

    @Test func lineWithoutColonInAMapping() throws {
        let diagnostic = try only("a: 1\nb\nc: 2\n")
        #expect(diagnostic.message == "expected `:` after `b`")
        #expect(diagnostic.span.compact == "2:1-2:2")
    }

    @Test func sequenceOnTheKeyLine() throws {
        let diagnostic = try only("a: - b\n")
        #expect(diagnostic.message == "a block sequence cannot start on the same line as its key")
        #expect(diagnostic.span.compact == "1:4-1:5")
    }

    @Test func unsupportedVersion() throws {
        let diagnostic = try only("%YAML 2.0\n---\na\n")
        #expect(diagnostic.message == "unsupported YAML version; flowc reads YAML 1.1")
        #expect(diagnostic.span.start.line == 1)
    }

    @Test(arguments: ["\"", "'"])
    func unclosedQuote(quote: String) throws {
        let diagnostic = try only("flow: a\ndescription: \(quote)VIP alerts\nenabled: true\n")
        #expect(diagnostic.code == .unclosedQuote)
        #expect(diagnostic.span.compact == "2:14-2:15")
        #expect(diagnostic.label == "this \(quote) has no closing \(quote)")
        #expect(diagnostic.secondary.first?.span.start.line == 4)
    }

    @Test func unclosedFlowSequence() throws {
        let diagnostic = try only("a: [1, 2\nb: 1\n")
        #expect(diagnostic.code == .unclosedFlowCollection)
        #expect(diagnostic.message == "expected `,` or `]` in a flow sequence")
        #expect(diagnostic.span.compact == "2:2-2:3")
        #expect(diagnostic.secondary.first?.span.compact == "1:4-1:5")
    }

    @Test func unclosedFlowMappingAtEndOfFile() throws {
        let diagnostic = try only("a: {x: 1\n")
        #expect(diagnostic.code == .unclosedFlowCollection)
        #expect(diagnostic.message == "the file ends inside a flow mapping")
        #expect(diagnostic.secondary.first?.span.compact == "1:4-1:5")
        let bare = try only("[\n")
        #expect(bare.code == .unclosedFlowCollection)
    }

    @Test func tabIndentation() throws {
        let diagnostic = try only("trigger:\n\t\ttype: x\n")
        #expect(diagnostic.code == .tabIndentation)
        #expect(diagnostic.span.compact == "2:1-2:3")
        #expect(diagnostic.fixIts.first?.replacement == "    ")
        #expect(diagnostic.fixIts.first?.span.compact == "2:1-2:3")
        let afterSpaces = try only("trigger:\n  \ttype: x\n")
        #expect(afterSpaces.code == .tabIndentation)
        #expect(afterSpaces.span.compact == "2:3-2:4")
        let inBlockScalar = try only("a: |\n  x\n\ty\n")
        #expect(inBlockScalar.code == .tabIndentation)
        #expect(inBlockScalar.span.compact == "3:1-3:2")
    }

    @Test func tabsInsideValuesAreFine() {
        #expect(read("a: \"x\ty\"\nb: |2\n  \tindented text\nc: [1,\t2]\nd: x\ty\n").diagnostics.isEmpty)
    }

    @Test func unknownEscape() throws {
        let diagnostic = try only("a: \"\\d+\"\n")
        #expect(diagnostic.code == .invalidEscape)
        #expect(diagnostic.message == "unknown escape `\\d` in a double-quoted string")
        #expect(diagnostic.span.compact == "1:5-1:7")
        #expect(diagnostic.fixIts.first?.replacement == "\\\\")
    }

    @Test func reservedCharacter() throws {
        let diagnostic = try only("who: @here\n")
        #expect(diagnostic.code == .yamlSyntax)
        #expect(diagnostic.message == "`@` cannot start a plain value; YAML reserves it")
        #expect(diagnostic.span.compact == "1:6-1:7")
    }

    @Test func genericErrorKeepsLibyamlContextAsNote() throws {
        let diagnostic = try only("a: !<x y\n")
        #expect(diagnostic.code == .yamlSyntax)
        #expect(diagnostic.message == "did not find the expected `>`")
        #expect(diagnostic.span.compact == "1:7-1:8")
        #expect(diagnostic.notes.first?.message == "while scanning a tag")
        #expect(diagnostic.notes.first?.span?.compact == "1:4-1:5")
    }

    @Test func controlCharacterFromLibyaml() throws {
        let diagnostic = try only("a: b\u{7}c\n")
        #expect(diagnostic.code == .controlCharacter)
        #expect(diagnostic.message == "control character U+0007 is not allowed in YAML")
        #expect(diagnostic.span.compact == "1:5-1:6")
    }

    @Test func errorPositionsAfterMultiByteText() throws {
        let diagnostic = try only("é😀: [1, 2\nb: 1\n")
        #expect(diagnostic.span.compact == "2:2-2:3")
        #expect(diagnostic.secondary.first?.span.compact == "1:5-1:6")
        #expect(diagnostic.secondary.first?.span.start.offset == 8)
    }

    @Test func documentsBeforeAnErrorAreKept() {
        let stream = read("flow: a\n---\nflow: b\n---\nflow: [\n")
        #expect(stream.documents.count == 2)
        #expect(stream.codes == [.unclosedFlowCollection])
    }
}
