import Foundation
import Testing
@testable import Diagnostics

@Suite struct RendererTests {
    let file = SourceFile(path: "flows/vip.yaml", text: """
        flow: vip
        conditions:
          - event.data.membercount < 1000000
        """)

    var diagnostic: Diagnostic {
        let start = file.offset(line: 3, column: 16)
        return Diagnostic(
            DiagnosticCode("FC0204"), .error, "no field `membercount` on `segment.refresh` data",
            at: file.span(start..<start + 11), label: "did you mean `memberCount`?",
            notes: [Note("fields are case-sensitive")],
            fixIts: [FixIt(span: file.span(start..<start + 11), replacement: "memberCount")]
        )
    }

    var summary: DiagnosticSummary { DiagnosticSummary(files: 1, flows: 1, diagnostics: [diagnostic]) }

    @Test func textShowsTheLineAndCarets() {
        let text = TextRenderer().render([diagnostic], summary: summary, sources: SourceFiles([file]))
        #expect(text == """
            flows/vip.yaml:3:16: error[FC0204]: no field `membercount` on `segment.refresh` data
              |
            3 |   - event.data.membercount < 1000000
              |                ^^^^^^^^^^^ did you mean `memberCount`?
              = note: fields are case-sensitive
              = fix: flows/vip.yaml:3:16: replace with `memberCount`

            """)
    }

    @Test func colourOnlyWhenAsked() {
        let plain = TextRenderer(colored: false).render([diagnostic], summary: summary, sources: SourceFiles([file]))
        let coloured = TextRenderer(colored: true).render([diagnostic], summary: summary, sources: SourceFiles([file]))
        #expect(!plain.contains("\u{1B}["))
        #expect(coloured.contains("\u{1B}[31m"))
    }

    @Test func jsonHasTheSpecifiedShape() {
        let json = JSONRenderer().render([diagnostic], summary: summary, sources: SourceFiles([file]))
        #expect(json.contains("\"version\": 1"))
        #expect(json.contains("\"line\": 3"))
        #expect(json.contains("\"column\": 16"))
        #expect(json.contains("\"endColumn\": 27"))
        #expect(json.contains("\"replacement\": \"memberCount\""))
        #expect(json.contains("\"summary\": {\n    \"files\": 1,\n    \"flows\": 1,\n    \"errors\": 1,\n    \"warnings\": 0\n  }"))
    }

    @Test func githubEscapesMessagesAndProperties() {
        let output = GitHubRenderer().render([diagnostic], summary: summary, sources: SourceFiles())
        #expect(output.hasPrefix("::error file=flows/vip.yaml,line=3,col=16,endLine=3,endColumn=27,title=FC0204::no field"))
        #expect(output.contains("%0Anote: fields are case-sensitive"))
        #expect(GitHubRenderer.escapeProperty("a:b,c%") == "a%3Ab%2Cc%25")
    }

    @Test func sarifHasOneRulePerCode() {
        var second = diagnostic
        second.severity = .warning
        let explanations = ExplanationIndex([
            Explanation(DiagnosticCode("FC0204"), name: "unknown-field", summary: "unknown field", details: "d", wrong: "w", right: "r"),
        ])
        let sarif = SARIFRenderer(explanations: explanations, toolVersion: "1.0").render([diagnostic, second], summary: summary, sources: SourceFiles())
        #expect(sarif.contains("\"version\": \"2.1.0\""))
        #expect(sarif.components(separatedBy: "\"id\": \"FC0204\"").count == 2)
        #expect(sarif.contains("\"level\": \"warning\""))
        #expect(sarif.contains("\"name\": \"unknown-field\""))
    }

    @Test func summaryLine() {
        #expect(DiagnosticSummary(files: 1, flows: 2, errors: 0, warnings: 1).line == "1 file, 2 flows: 0 errors, 1 warning")
    }

    @Test func jsonEscapesControlCharacters() {
        #expect(JSONValue.string("a\"\u{1}\n").serialized() == "\"a\\\"\\u0001\\n\"")
    }
}

@Suite struct LongLineRenderingTests {
    @Test func longLinesShowAWindowAroundTheSpan() {
        let text = "a: " + String(repeating: "[", count: 5_000)
        let file = SourceFile(path: "deep.yaml", text: text)
        let start = file.offset(line: 1, column: 68)
        let diagnostic = Diagnostic.error(DiagnosticCode("FC0024"), "too deep", at: file.span(start..<start + 1), label: "here")
        let output = TextRenderer().render(diagnostic, sources: SourceFiles([file]))
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count < 200 })
        // The caret still stands under the 68th column's character.
        let quoted = lines[2].dropFirst(4)
        let caretLine = lines[3].dropFirst(4)
        let caretIndex = caretLine.firstIndex(of: "^").map { caretLine.distance(from: caretLine.startIndex, to: $0) }
        #expect(caretIndex != nil)
        if let caretIndex {
            #expect(Array(quoted)[caretIndex] == "[")
            #expect(quoted.hasPrefix("…") == false || caretIndex > 0)
        }
    }
}

@Suite struct JSONWriterTests {
    /// Strings without anything to escape are copied whole; the others go scalar by scalar.
    @Test func plainAndEscapedStringsInOneDocument() {
        let value = JSONValue.object([
            ("plain", .string("abc é 😀")), ("quote", .string("a\"b\\c\nd\u{1}\u{7F}")), ("n", .int(-3)), ("d", .double(1.5)),
            ("inf", .double(.infinity)), ("list", .array([.null, .bool(true), .array([]), .object([])])),
        ])
        #expect(value.serialized() == #"{"plain":"abc é 😀","quote":"a\"b\\c\nd\u0001\u007f","n":-3,"d":1.5,"inf":null,"list":[null,true,[],{}]}"#)
    }
}
