import Diagnostics
import Flows
import Foundation
import Testing
import YAML

/// Golden files: each `invalid/NAME.yaml` has `NAME.txt` (text renderer, no colour) and
/// `NAME.json` (JSON renderer). `RECORD_GOLDEN=1 swift test` writes them anew.
@Suite struct FixtureTests {
    static let invalid = Fixtures.names(in: "invalid")
    static let valid = Fixtures.names(in: "valid")
    static let recording = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"

    static func lint(_ relativePath: String) -> (result: FlowCheckResult, sources: SourceFiles) {
        Lint.run([SourceFile(path: relativePath, bytes: Fixtures.bytes(relativePath))])
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.invalid.count >= 40)
        #expect(!Self.valid.isEmpty)
    }

    @Test(arguments: invalid)
    func invalidFixtureMatchesGolden(name: String) throws {
        let (result, sources) = Self.lint("invalid/\(name).yaml")
        #expect(!result.diagnostics.isEmpty, "invalid/\(name).yaml produced no diagnostics")
        let summary = result.summary(files: 1)
        let text = TextRenderer(colored: false).render(result.diagnostics, summary: summary, sources: sources)
        let json = JSONRenderer().render(result.diagnostics, summary: summary, sources: sources)
        for (golden, actual) in [("\(name).txt", text), ("\(name).json", json)] {
            let url = Fixtures.directory.appendingPathComponent("invalid").appendingPathComponent(golden)
            if Self.recording {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try? String(contentsOf: url, encoding: .utf8)
            #expect(expected == actual, "invalid/\(golden) differs; RECORD_GOLDEN=1 re-records it")
        }
    }

    @Test(arguments: valid)
    func validFixtureHasNoDiagnostics(name: String) {
        let (result, sources) = Self.lint("valid/\(name).yaml")
        let text = TextRenderer(colored: false).render(result.diagnostics, summary: result.summary(files: 1), sources: sources)
        #expect(result.diagnostics.isEmpty, "valid/\(name).yaml:\n\(text)")
        #expect(result.flowCount >= 1)
    }

    @Test func everyFlowCodeAppearsInAFixture() {
        var seen = Set<DiagnosticCode>()
        for name in Self.invalid {
            seen.formUnion(Self.lint("invalid/\(name).yaml").result.diagnostics.map(\.code))
        }
        let missing = FlowDiagnostics.explanations.map(\.code).filter { !seen.contains($0) }
        #expect(missing.isEmpty, "codes without a fixture: \(missing.map(\.rawValue))")
    }
}
