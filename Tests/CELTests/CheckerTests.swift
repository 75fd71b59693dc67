@testable import CEL
import Diagnostics
import Testing

@Suite struct CheckerTests {
    @Test func unknownIdentifierSuggestsTheClosestName() throws {
        let (environment, _, _) = eventEnvironment()
        let source = "evnt.data.segment == 'VIP'"
        let issue = try #require(issues(source, in: environment).first)
        #expect(issue.code == .celUnknownIdentifier)
        #expect(issue.message == "unknown name `evnt`")
        #expect(issue.label == "did you mean `event`?")
        #expect(issue.replacement == "event")
        #expect(text(source, issue.range) == "evnt")
    }

    @Test func unknownFieldPointsAtTheFieldAndSuggests() throws {
        let (environment, _, _) = eventEnvironment()
        let source = "event.data.membercount > 10"
        let issue = try #require(issues(source, in: environment).first)
        #expect(issue.code == .celUnknownField)
        #expect(issue.message == "`event.data` has no field `membercount`")
        #expect(issue.replacement == "memberCount")
        #expect(text(source, issue.range) == "membercount")
    }

    @Test func unknownFunctionSuggests() throws {
        let (environment, _, _) = eventEnvironment()
        let source = "event.data.segment.startWith('VIP')"
        let issue = try #require(issues(source, in: environment).first)
        #expect(issue.code == .celUnknownFunction)
        #expect(issue.replacement == "startsWith")
        #expect(text(source, issue.range) == "startWith")
    }

    @Test func mismatchedOperandsNameBothTypes() throws {
        let (environment, _, _) = eventEnvironment()
        let issue = try #require(issues("event.data.memberCount + 0.5", in: environment).first)
        #expect(issue.code == .celOperandMismatch)
        #expect(issue.message == "operator `+` cannot be applied to `int` and `double`")
    }

    @Test func wrongArgumentCount() throws {
        let issue = try #require(issues("'abc'.startsWith()").first)
        #expect(issue.code == .celArgumentCount)
    }

    @Test func noMatchingOverload() throws {
        let issue = try #require(issues("size(42)").first)
        #expect(issue.code == .celNoMatchingOverload)
        #expect(issue.message.contains("size(`int`)"))
    }

    @Test func typesAreRecordedPerNode() throws {
        let (environment, _, data) = eventEnvironment()
        let parsed = try CELParser.parse("event.data.previousCount > 1 && event.data.segment.size() > 0").get()
        let checked = environment.check(parsed)
        #expect(checked.issues.isEmpty)
        #expect(checked.resultType == .bool)
        guard case .call(_, _, let sides) = parsed.root.kind, case .call(_, _, let comparison) = sides[0].kind,
              case .select(let operand, _, _) = comparison[0].kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect(checked.type(of: comparison[0]) == .int)
        #expect(checked.type(of: operand) == .record(data))
    }

    @Test func macrosAreTyped() throws {
        let environment = CELEnvironment()
        let checked = environment.check(try CELParser.parse("[1, 2].map(x, string(x))").get())
        #expect(checked.resultType == .list(.string))
        let filtered = environment.check(try CELParser.parse("{'a': 1}.filter(k, k != 'b')").get())
        #expect(filtered.resultType == .list(.string))
        #expect(issues("[1].all(x, x)").first?.code == .celTypeMismatch)
    }

    @Test func issuesMapIntoTheEnclosingFile() throws {
        // An expression that starts at byte 10 of a file: offsets shift by 10.
        let file = SourceFile(path: "flow.yaml", text: "if: ${{ 1 + 'a' }}\n")
        let issue = try #require(issues("1 + 'a'").first)
        let diagnostic = issue.diagnostic { range in file.span((range.lowerBound + 8)..<(range.upperBound + 8)) }
        #expect(diagnostic.span.file == "flow.yaml")
        #expect(diagnostic.span.start.column == 9)
        #expect(diagnostic.span.end.column == 16)
        #expect(diagnostic.code == .celOperandMismatch)
    }

    @Test func everyCodeIsExplainedOnce() {
        let codes = CELDiagnostics.explanations.map(\.code)
        #expect(Set(codes).count == codes.count)
        for explanation in CELDiagnostics.explanations {
            #expect(explanation.code.rawValue >= "FC0200" && explanation.code.rawValue <= "FC0249")
            #expect(!explanation.wrong.isEmpty && !explanation.right.isEmpty)
        }
        let declared: [DiagnosticCode] = [.celSyntax, .celUnknownIdentifier, .celUnknownField, .celUnknownFunction,
                                          .celNoMatchingOverload, .celOperandMismatch, .celArgumentCount, .celTooDeep,
                                          .celTooLong, .celIntegerRange, .celReservedWord, .celInvalidMacro,
                                          .celUnsupported, .celTypeMismatch, .celEvaluation]
        #expect(Set(declared) == Set(codes))
    }

    @Test func explanationExamplesBehaveAsTheySay() {
        let (environment, _, _) = eventEnvironment()
        // FC0214 is an evaluation error: its example checks fine and fails at run time.
        for explanation in CELDiagnostics.explanations where !explanation.wrong.contains("...") && explanation.code != .celEvaluation {
            let wrong = issues(explanation.wrong, in: environment)
            #expect(wrong.contains { $0.code == explanation.code }, "\(explanation.code): \(explanation.wrong)")
            let right = issues(explanation.right, in: environment)
            #expect(!right.contains { $0.code == explanation.code }, "\(explanation.code): \(explanation.right)")
        }
    }
}
