import Diagnostics
import Foundation
import Testing
@testable import FlowTestRunner

@Suite struct TestFileTests {
    private func outcome(_ test: String) async throws -> FlowTestFileOutcome {
        let fixture = try Fixture(files: ["notify.yaml": Fixture.notifyFlow, "t.test.yaml": test])
        defer { fixture.remove() }
        return await fixture.run()
    }

    @Test func anUnknownFlowFileIsReportedAtItsEntry() async throws {
        let result = try await outcome("flows: [notify.yaml, nope.yaml]\ntests: []\n")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code.rawValue == "FC0301")
        #expect(diagnostic.message == "no flow file `nope.yaml`")
        #expect(diagnostic.span.start.line == 1 && diagnostic.span.start.column == 22)
        #expect(result.results.isEmpty)
    }

    @Test func aFolderInFlowsLoadsItsFlowFiles() async throws {
        let fixture = try Fixture(files: ["notify.yaml": Fixture.notifyFlow, "t.test.yaml": "flows: [.]\ntests: [{ name: nothing, events: [] }]\n"])
        defer { fixture.remove() }
        let result = await fixture.run()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.coverage.flowFigure.total == 1)
        #expect(result.results.map(\.passed) == [true])
    }

    @Test func aMalformedEventIsReportedAtTheEvent() async throws {
        let result = try await outcome("""
            flows: [notify.yaml]
            tests:
              - name: bad event
                events:
                  - { data: { segment: VIP } }
                  - just text
            """)
        #expect(result.codes == ["FC0302", "FC0302"])
        #expect(result.diagnostics.map(\.span.start.line) == [5, 6])
        #expect(result.diagnostics.first?.message == "event 1 has no `type`")
    }

    @Test func anEventTheRuntimeRejectsFailsTheTest() async throws {
        let result = try await outcome("""
            flows: [notify.yaml]
            tests:
              - name: wrong data
                events:
                  - { type: segment.refresh, data: { segment: VIP, status: succeeded, memberCount: lots } }
            """)
        let failure = try #require(result.results.first?.failures.first)
        #expect(failure.code.rawValue == "FC0312")
        #expect(failure.message == #"event 1 was rejected: data.memberCount: expected int, got string "lots""#)
        #expect(failure.span.start.line == 5)
    }

    @Test func anUnknownKeySuggestsTheRightOne() async throws {
        let result = try await outcome("""
            flows: [notify.yaml]
            tests:
              - name: typo
                events: []
                expect:
                  run: []
            """)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code.rawValue == "FC0303")
        #expect(diagnostic.message == "unknown key `run`")
        #expect(diagnostic.span.start.line == 6)
        #expect(diagnostic.notes.map(\.message) == ["did you mean `runs`?"])
        #expect(diagnostic.fixIts.first?.replacement == "runs")
    }

    @Test func anEventIndexOutsideTheEventsIsAnError() async throws {
        let result = try await outcome("""
            flows: [notify.yaml]
            tests:
              - name: wrong flow
                events: []
                expect:
                  runs: [{ flow: notfy, event: 1 }]
            """)
        #expect(result.codes == ["FC0300"])
        #expect(result.diagnostics.first?.message == "`event` is a position in `events`, 1 to 0")
    }

    @Test func anUnknownFlowNameGetsADidYouMean() async throws {
        let result = try await outcome("""
            flows: [notify.yaml]
            tests:
              - name: wrong flow
                events: [{ type: segment.refresh, data: { segment: VIP, status: failed, memberCount: 1 } }]
                expect:
                  runs: [{ flow: notfy, event: 1 }]
            """)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code.rawValue == "FC0304")
        #expect(diagnostic.span.start.line == 6)
        #expect(diagnostic.notes.map(\.message) == ["did you mean `notify`?"])
    }

    @Test func aFlowWithErrorsCannotBeTested() async throws {
        let fixture = try Fixture(files: ["broken.yaml": "flow: broken\ntrigger: { type: nope }\nactions: []\n", "t.test.yaml": "flows: [broken.yaml]\ntests: []\n"])
        defer { fixture.remove() }
        let result = await fixture.run()
        #expect(result.codes.contains("FC0305"))
        #expect(result.hasFileErrors)
    }

    @Test func structureErrors() async throws {
        #expect(try await outcome("- a list\n").codes == ["FC0300"])
        #expect(try await outcome("flows: [notify.yaml]\n").codes == ["FC0300"])
        #expect(try await outcome("flows: [notify.yaml]\ntests:\n  - events: []\n").codes == ["FC0300"])
        #expect(try await outcome("flows: [notify.yaml]\ntests:\n  - name: x\n    http: [{ url: '*', status: 999 }]\n").codes == ["FC0300"])
    }

    @Test func yamlSyntaxErrorsComeFromTheReader() async throws {
        let result = try await outcome("flows: [notify.yaml\ntests: [\n")
        #expect(result.hasFileErrors)
        #expect(result.codes.allSatisfy { $0 < "FC0050" })
    }

    @Test func filledInAttributesAreStable() {
        #expect(TestFileDecoder.time(index: 1) == "2026-03-02T09:00:00Z")
        #expect(TestFileDecoder.time(index: 3) == "2026-03-02T09:02:00Z")
    }

    @Test func everyCodeHasAnExplanationInRange() {
        let codes = FlowTestDiagnostics.explanations.map(\.code.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0 >= "FC0300" && $0 <= "FC0349" })
        #expect(FlowTestDiagnostics.explanations.allSatisfy { !$0.wrong.isEmpty && !$0.right.isEmpty })
        for code in [DiagnosticCode.testFileStructure, .testUnknownFlowFile, .testMalformedEvent, .testUnknownKey, .testUnknownFlow,
                     .testFlowInvalid, .testExpectationNotMet, .testUnmatchedRequest, .testEventRejected] {
            #expect(codes.contains(code.rawValue))
        }
    }
}

@Suite struct ExpectedRunCheckTests {
    private func outcome(_ run: String) async throws -> FlowTestFileOutcome {
        let fixture = try Fixture(files: ["notify.yaml": Fixture.notifyFlow, "t.test.yaml": """
            flows: [notify.yaml]
            tests:
              - name: checked
                events: [{ type: segment.refresh, data: { segment: VIP, status: failed, memberCount: 1 } }]
                expect:
                  runs:
                    - \(run)
            """])
        defer { fixture.remove() }
        return await fixture.run()
    }

    @Test func unknownStatusesGetADidYouMean() async throws {
        let result = try await outcome("{ flow: notify, event: 1, status: success, actions: { post: skiped } }")
        #expect(result.codes == ["FC0306", "FC0306"])
        #expect(result.diagnostics.map(\.message) == ["unknown run status `success`", "unknown action status `skiped`"])
        #expect(result.diagnostics.map(\.span.start.column) == [45, 71])
        #expect(result.diagnostics.last?.notes.map(\.message) == ["did you mean `skipped`?"])
    }

    @Test func unknownActionPathsAreReportedAtTheKey() async throws {
        let result = try await outcome("{ flow: notify, event: 1, actions: { pots: succeeded, check/then/0: succeeded, check/then/0/3: succeeded } }")
        #expect(result.codes == ["FC0307"])
        #expect(result.diagnostics.first?.message == "flow `notify` has no action `pots`")
        #expect(result.diagnostics.first?.notes.map(\.message) == ["did you mean `post`?"])
    }

    @Test func iterationSuffixesAreStripped() {
        let known: Set<String> = ["stages", "stages/do/0", "stages/do/0/then/0", "actions/2"]
        #expect(ExpectedRunCheck.withoutIterations("stages/do/0/then/0/1", known: known) == "stages/do/0/then/0")
        #expect(ExpectedRunCheck.withoutIterations("stages/do/0/3/4", known: known) == "stages/do/0")
        #expect(ExpectedRunCheck.withoutIterations("actions/2", known: known) == "actions/2")
        #expect(ExpectedRunCheck.withoutIterations("nope/1", known: known) == "nope")
    }
}
