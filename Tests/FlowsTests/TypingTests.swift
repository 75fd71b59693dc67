import CEL
import Catalog
import Diagnostics
import Flows
import Foundation
import Testing
import YAML

/// The typing pass: golden diagnostics of `Fixtures/typed/NAME.yaml` (`NAME.txt`, text
/// renderer without colour, and `NAME.json`); `RECORD_GOLDEN=1 swift test` writes them anew.
@Suite struct TypingFixtureTests {
    static let fixtures = Fixtures.names(in: "typed")
    static let recording = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"

    static func lint(_ name: String) -> (result: FlowCheckResult, sources: SourceFiles) {
        let path = "typed/\(name).yaml"
        return Lint.run([SourceFile(path: path, bytes: Fixtures.bytes(path))])
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.fixtures.count >= 40)
    }

    @Test(arguments: fixtures)
    func fixtureMatchesGolden(name: String) throws {
        let (result, sources) = Self.lint(name)
        #expect(!result.diagnostics.isEmpty, "typed/\(name).yaml produced no diagnostics")
        #expect(!result.diagnostics.contains { $0.code.rawValue < "FC0200" }, "typed/\(name).yaml has structural errors, so it is not typed")
        let summary = result.summary(files: 1)
        let text = TextRenderer(colored: false).render(result.diagnostics, summary: summary, sources: sources)
        let json = JSONRenderer().render(result.diagnostics, summary: summary, sources: sources)
        for (golden, actual) in [("\(name).txt", text), ("\(name).json", json)] {
            let url = Fixtures.directory.appendingPathComponent("typed").appendingPathComponent(golden)
            if Self.recording {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try? String(contentsOf: url, encoding: .utf8)
            #expect(expected == actual, "typed/\(golden) differs; RECORD_GOLDEN=1 re-records it")
        }
    }

    @Test func everyTypingCodeAppearsInAFixture() {
        var seen = Set<DiagnosticCode>()
        for name in Self.fixtures {
            seen.formUnion(Self.lint(name).result.diagnostics.map(\.code))
        }
        // FC0258 needs a broken catalog: see `catalogExpressionsAreChecked`.
        let missing = FlowTypingDiagnostics.explanations.map(\.code).filter { !seen.contains($0) && $0 != .typeCatalogExpression }
        #expect(missing.isEmpty, "codes without a fixture: \(missing.map(\.rawValue))")
    }

    @Test func explanationsHaveExamples() {
        for explanation in FlowTypingDiagnostics.explanations {
            #expect(!explanation.wrong.isEmpty && !explanation.right.isEmpty && explanation.wrong != explanation.right, "\(explanation.code)")
            #expect(explanation.code.rawValue >= "FC0250" && explanation.code.rawValue <= "FC0299")
        }
    }
}

@Suite struct TypingTests {
    @Test func exampleFlowsAreClean() throws {
        let urls = Fixtures.exampleFlows()
        #expect(urls.count >= 7)
        let files = try urls.map { SourceFile(path: $0.lastPathComponent, bytes: Array(try Data(contentsOf: $0))) }
        let (result, _) = Lint.run(files)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map { "\($0.span.file):\($0.span.start.line):\($0.span.start.column) \($0.code) \($0.message)" })")
    }

    @Test func typesAreRecorded() throws {
        let text = """
            flow: types
            trigger: { type: unification.completed }
            vars:
              stages: ${{ event.data.stages }}
              count: 0
              label: "n=${{ vars.count }}"
            actions:
              - id: eachStage
                type: foreach
                items: ${{ vars.stages }}
                as: stage
                do:
                  - type: log
                    with: { message: "${{ stage.name }} ${{ vars.label }}" }
            """
        let result = Lint.text(text)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
        let flow = try #require(result.flows.first)
        let typing = FlowTyper.type(flow)
        #expect(typing.varTypes.map { FlowTypeNames.catalogName($0.type) } == [
            "list({name: string, status: string, completedAt?: timestamp})", "int", "string",
        ])
        let loop = try #require(flow.actions.actions.first)
        #expect(typing.loopNames[loop.index] == "stage")
        #expect(typing.elementTypes[loop.index].map(FlowTypeNames.celName) == "{name: string, status: string, completedAt?: google.protobuf.Timestamp}")
    }

    @Test func printableValuesAreAcceptedWhereTextIsExpected() {
        let text = """
            flow: text
            trigger:
              type: segment.threshold.crossed
              segment: VIP
              threshold: 10
            actions:
              - type: log
                with: { message: "${{ trigger.current }}" }
              - type: emit
                with: { type: x.y, data: {}, subject: "${{ now }}" }
            """
        #expect(Lint.summary(text) == [])
    }

    @Test func suppressionCommentsAreParsed() {
        #expect(Suppressions.codes(inLine: "  a: 1  # flowc-ignore FC0261") == ["FC0261"])
        #expect(Suppressions.codes(inLine: "# flowc-ignore FC0260, FC0262 because") == ["FC0260", "FC0262"])
        #expect(Suppressions.codes(inLine: "#flowc-ignore FC0260,FC0261") == ["FC0260", "FC0261"])
        #expect(Suppressions.codes(inLine: "# flowc-ignore") == [])
        #expect(Suppressions.codes(inLine: "a: '# not flowc-ignore'") == [])
    }

    @Test func errorsAreNotSuppressed() {
        let text = """
            flow: errors
            trigger: { type: datasource.refresh.failed }
            actions:
              - type: log
                # flowc-ignore FC0202
                with: { message: "${{ event.data.nope }}" }
            """
        #expect(Lint.codes(text) == ["FC0202"])
    }

    @Test func flowsWithStructuralErrorsAreNotTyped() {
        let text = """
            flow: structure
            trigger: { type: datasource.refresh.failed }
            actions:
              - type: log
                with: { message: "${{ event.data.nope }}" }
                bogus: 1
            """
        #expect(Lint.codes(text) == ["FC0102"])
    }

    @Test func catalogExpressionsAreChecked() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Grammar/catalog.json")
        let original = try String(contentsOf: url, encoding: .utf8)
        let broken = original.replacingOccurrences(of: "event.data.segment == trigger.segment", with: "event.data.segmnt == trigger.segment")
        #expect(broken != original)
        let catalog = try Catalog.load(Data(broken.utf8))
        let text = """
            flow: broken-catalog
            trigger:
              type: segment.threshold.crossed
              segment: VIP
              threshold: 10
            actions:
              - type: log
                with: { message: x }
            """
        let stream = YAMLReader.read(SourceFile(path: "t.yaml", text: text))
        let result = FlowChecker.check([stream], catalog: catalog)
        #expect(result.diagnostics.map(\.code) == [.typeCatalogExpression])
        #expect(result.diagnostics.first?.message.contains("`segment.refresh` data") == true || result.diagnostics.first?.message.contains("segmnt") == true)
    }

    @Test func hostileExpressionsDoNotCrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        let text = """
            flow: hostile
            trigger: { type: datasource.refresh.failed }
            conditions:
              - \(deep) == 1
              - \(String(repeating: "!", count: 3000))true
            actions:
              - type: log
                with: { message: "${{ \(String(repeating: "event.id + ", count: 2000))'' }}" }
            """
        let codes = Lint.codes(text)
        #expect(!codes.isEmpty)
    }
}
