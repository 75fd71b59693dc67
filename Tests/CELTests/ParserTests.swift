@testable import CEL
import Diagnostics
import Testing

@Suite struct ParserTests {
    @Test func parseErrorPointsAtTheOffendingToken() throws {
        let source = "event.data.memberCount >\n  && true"
        let found = issues(source)
        let issue = try #require(found.first)
        #expect(issue.code == .celSyntax)
        #expect(text(source, issue.range) == "&&")
        let diagnostic = issue.diagnostic(in: SourceFile(path: "<expr>", text: source))
        #expect(diagnostic.span.start.line == 2)
        #expect(diagnostic.span.start.column == 3)
        #expect(diagnostic.message.contains("expected an expression"))
    }

    @Test func unterminatedStringSaysSo() throws {
        let issue = try #require(issues("'abc").first)
        #expect(issue.code == .celSyntax)
        #expect(issue.message.contains("unterminated"))
        #expect(issue.range == 0..<4)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let source = "'héllo' + §"
        let issue = try #require(issues(source).first)
        let diagnostic = issue.diagnostic(in: SourceFile(path: "<expr>", text: source))
        #expect(diagnostic.span.start.column == 11)
        #expect(text(source, issue.range) == "§")
    }

    @Test func missingClosingBracketNamesIt() throws {
        let issue = try #require(issues("[1, 2").first)
        #expect(issue.message.contains("`]`"))
    }

    @Test func integerLiteralRange() {
        #expect(literal(evaluate("-9223372036854775808")) == "-9223372036854775808")
        #expect(issues("9223372036854775808").first?.code == .celIntegerRange)
        #expect(literal(evaluate("18446744073709551615u")) == "18446744073709551615u")
        #expect(issues("18446744073709551616u").first?.code == .celSyntax)
    }

    @Test func reservedWordsAreRejected() {
        #expect(issues("if").first?.code == .celReservedWord)
        #expect(issues("{'a': 1}.null").first?.code == .celReservedWord)
    }

    @Test func macroArgumentsAreChecked() {
        #expect(issues("has(1)").first?.code == .celInvalidMacro)
        #expect(issues("[1].all(1, true)").first?.code == .celInvalidMacro)
    }

    @Test func messageConstructionIsUnsupported() {
        #expect(issues("Foo{a: 1}").first?.code == .celUnsupported)
    }

    @Test(arguments: ["(", "-", "[", "!", "{1:"])
    func deepNestingIsAnErrorNotACrash(prefix: String) throws {
        let source = String(repeating: prefix, count: 100_000 / prefix.utf8.count) + "1"
        let issue = try #require(issues(source).first)
        #expect(issue.code == .celTooDeep || issue.code == .celTooLong)
    }

    @Test func longOperatorChainsAreBoundedToo() throws {
        let sum = Array(repeating: "1", count: 10_000).joined(separator: " + ")
        #expect(issues(sum).first?.code == .celTooDeep)
        let calls = String(repeating: "size(", count: 5_000) + "'a'" + String(repeating: ")", count: 5_000)
        #expect(issues(calls).first?.code == .celTooDeep)
        let selects = "{'a': 1}" + String(repeating: ".a", count: 20_000)
        #expect(issues(selects).first?.code == .celTooDeep)
    }

    @Test func longLogicalChainsAreBalanced() {
        // `||` and `&&` chains are built as balanced trees, so thousands of terms are fine.
        let chain = Array(repeating: "false", count: 5_000).joined(separator: " || ") + " || true"
        #expect(literal(evaluate(chain)) == "true")
    }

    @Test func tooLongExpression() throws {
        let source = String(repeating: " ", count: 100_001) + "1"
        #expect(issues(source).first?.code == .celTooLong)
    }

    @Test func spansCoverWholeNodes() throws {
        let parsed = try CELParser.parse("a.b + f(1, [2])").get()
        #expect(parsed.root.range == 0..<15)
        guard case .call(_, _, let arguments) = parsed.root.kind else {
            Issue.record("expected a call")
            return
        }
        #expect(text("a.b + f(1, [2])", arguments[0].range) == "a.b")
        #expect(text("a.b + f(1, [2])", arguments[1].range) == "f(1, [2])")
    }

    @Test func stringLiteralForms() {
        #expect(literal(evaluate(#"'''a'b''' + """c"d""" + r'\n' + "\x41\101\u00e9\U0001F600""#)) == #""a'bc\"d\\nAAé😀""#)
        #expect(literal(evaluate(#"b'\xff\000' + b"é""#)) == #"b"\xff\x00\xc3\xa9""#)
        #expect(issues(#"'\s'"#).first?.code == .celSyntax)
        #expect(issues(#"'\uD800'"#).first?.code == .celSyntax)
    }

    @Test func numberLiteralForms() {
        #expect(literal(evaluate("0x1F + 0x10")) == "47")
        #expect(literal(evaluate("0xFFu")) == "255u")
        #expect(literal(evaluate("1e3")) == "1000.0")
        #expect(literal(evaluate(".5 + 2.5e-1")) == "0.75")
    }
}
