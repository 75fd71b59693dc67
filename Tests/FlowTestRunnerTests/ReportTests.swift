import Diagnostics
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import FlowTestRunner

/// Collects what a JUnit document says, read back with Foundation's XML parser.
private final class JUnitReader: NSObject, XMLParserDelegate {
    var suites: [[String: String]] = []
    var cases: [(name: String, failed: Bool)] = []
    var failureTexts: [String] = []
    private var inFailure = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        switch name {
        case "testsuite": suites.append(attributes)
        case "testcase": cases.append((attributes["name"] ?? "", false))
        case "failure":
            if !cases.isEmpty { cases[cases.count - 1].failed = true }
            failureTexts.append("")
            inFailure = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inFailure, !failureTexts.isEmpty { failureTexts[failureTexts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "failure" { inFailure = false }
    }
}

@Suite struct ReportTests {
    private static let tests = """
          - name: passes <&> "quoted"
            http: [{ url: "*", status: 200 }]
            events:
        \(refresh(500))
            expect:
              runs: [{ flow: notify, event: 1, status: succeeded }]
          - name: fails
            http: [{ url: "*", status: 200 }]
            events:
        \(refresh(500))
            expect:
              runs: []

        """

    @Test func junitReadsBackWithAnXMLParser() async throws {
        let outcome = try await Fixture.notify(Self.tests)
        let xml = JUnitReport.render([outcome])
        let reader = JUnitReader()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "\(xml)")
        #expect(reader.suites.count == 1)
        #expect(reader.suites.first?["tests"] == "2")
        #expect(reader.suites.first?["failures"] == "1")
        #expect(reader.cases.map(\.name) == [#"passes <&> "quoted""#, "fails"])
        #expect(reader.cases.map(\.failed) == [false, true])
        #expect(reader.failureTexts.first?.contains("error[FC0310]: expectation not met") == true)
        #expect(reader.failureTexts.first?.contains("expected 0 runs, got 1") == true)
    }

    @Test func coverageOfAKnownCase() async throws {
        // One big refresh: post, audit, the `then` branch and the post→audit edge; the
        // `else` branch and its log never run.
        let outcome = try await Fixture.notify("""
              - name: one
                http: [{ url: "*", status: 200 }]
                events:
            \(refresh(500))

            """)
        let coverage = outcome.coverage
        #expect(coverage.flowFigure == FlowCoverage.Figure(covered: 1, total: 1))
        // post, audit, check, check/then/0, check/else/0
        #expect(coverage.actionFigure == FlowCoverage.Figure(covered: 4, total: 5))
        // then, else, run_after post→audit
        #expect(coverage.branchFigure == FlowCoverage.Figure(covered: 2, total: 3))
        #expect(coverage.missedActions == ["notify/check/else/0"])
        #expect(coverage.missedBranches == ["notify/check/else"])
        #expect(coverage.missedFlows.isEmpty)
        #expect(coverage.total == FlowCoverage.Figure(covered: 7, total: 9))
        #expect(coverage.summary == "coverage: flows 100.0% (1/1), actions 80.0% (4/5), branches 66.7% (2/3)")
    }

    @Test func coverageMergesAcrossTestsAndFiles() async throws {
        let big = try await Fixture.notify("  - name: big\n    http: [{ url: \"*\", status: 200 }]\n    events:\n" + refresh(500))
        let small = try await Fixture.notify("  - name: small\n    http: [{ url: \"*\", status: 200 }]\n    events:\n" + refresh(5))
        var merged = big.coverage
        merged.merge(small.coverage)
        #expect(merged.actionFigure.percent == 100)
        #expect(merged.branchFigure.percent == 100)
        #expect(FlowCoverage(flows: []).total.percent == 100)
    }

    @Test func xmlEscapingDropsControlCharacters() {
        #expect(JUnitReport.escape("a<b>&\"c\u{1}") == "a&lt;b&gt;&amp;&quot;c?")
    }
}
