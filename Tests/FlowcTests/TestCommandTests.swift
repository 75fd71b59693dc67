import Foundation
import Testing

@Suite struct TestCommandTests {
    private func folder(_ files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "flowc-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
        return path
    }

    private static let flow = """
        flow: echo
        trigger:
          type: event
          event_type: segment.refresh
        actions:
          - type: emit
            with:
              type: echoed
              data:
                count: ${{ event.data.memberCount }}
        """

    private static func test(expectedCount: Int) -> String {
        """
        flows: [echo.yaml]
        tests:
          - name: echoes
            events:
              - { type: segment.refresh, data: { segment: VIP, status: succeeded, memberCount: 3 } }
            expect:
              emitted:
                - { type: echoed, data: { count: \(expectedCount) } }
        """
    }

    @Test func theExampleFlowsPassTheirTests() throws {
        let result = try FlowcProcess.run(["test", "flows/", "--coverage"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("PASS flows/") }.count >= 14)
        #expect(!lines.contains { $0.hasPrefix("FAIL") })
        // Every example flow has a test file.
        let flows = try FileManager.default.contentsOfDirectory(atPath: FlowcProcess.packageRoot.appendingPathComponent("flows").path)
        for flow in flows where flow.hasSuffix(".yaml") && !flow.hasSuffix(".test.yaml") {
            #expect(flows.contains(flow.replacingOccurrences(of: ".yaml", with: ".test.yaml")), "\(flow) has no tests")
        }
        #expect(lines.contains { $0.hasSuffix(" passed, 0 failed") })
        #expect(lines.contains { $0.hasPrefix("coverage: flows 100.0% (7/7), actions ") })
    }

    @Test func aFailingTestPrintsTheDiffAndExitsOne() throws {
        let path = try folder(["echo.yaml": Self.flow, "echo.test.yaml": Self.test(expectedCount: 4)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try FlowcProcess.run(["test", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("echo.test.yaml:8:11: error[FC0310]: expectation not met: `emitted` in test `echoes`"))
        #expect(result.stdout.contains(#"- {type: echoed, data: {"count":4}}"#))
        #expect(result.stdout.contains(#"+ {type: echoed, data: {"count":3}}"#))
        #expect(result.stdout.contains("FAIL \(path)/echo.test.yaml: echoes"))
        #expect(result.stdout.hasSuffix("0 passed, 1 failed\n"))
    }

    @Test func junitGoesToStandardOutput() throws {
        let path = try folder(["echo.yaml": Self.flow, "echo.test.yaml": Self.test(expectedCount: 3)])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try FlowcProcess.run(["test", path, "--format", "junit"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("<?xml"))
        #expect(result.stdout.contains(#"<testcase classname="\#(path)/echo.test.yaml" name="echoes""#))
        #expect(result.stderr.contains("1 passed, 0 failed"))
    }

    @Test func minCoverageFailsBelowTheFigure() throws {
        let path = try folder(["echo.yaml": Self.flow, "other.yaml": Self.flow.replacingOccurrences(of: "flow: echo", with: "flow: other").replacingOccurrences(of: "segment.refresh", with: "measure.refresh").replacingOccurrences(of: "memberCount", with: "value"),
                               "echo.test.yaml": Self.test(expectedCount: 3).replacingOccurrences(of: "[echo.yaml]", with: "[echo.yaml, other.yaml]")])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let low = try FlowcProcess.run(["test", path, "--min-coverage", "90"])
        #expect(low.status == 1)
        #expect(low.stderr.contains("error: coverage 50.0% is below --min-coverage 90.0%"))
        #expect(try FlowcProcess.run(["test", path, "--min-coverage", "50"]).status == 0)
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try FlowcProcess.run(["test", "no/such/folder"]).status == 2)
        #expect(try FlowcProcess.run(["test", "flows/", "--min-coverage", "120"]).status == 2)
        #expect(try FlowcProcess.run(["test", "flows/", "--format", "xml"]).status == 2)
    }

    @Test func explainKnowsTheTestCodes() throws {
        let result = try FlowcProcess.run(["explain", "FC0310"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("expectation"))
    }
}
