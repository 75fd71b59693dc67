import Foundation
import Testing

@Suite struct CompileCommandTests {
    @Test func compilesTheExamplesAndLoadsThemBack() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("first.json").path
        let result = try FlowcProcess.run(["compile", "flows/", "-o", first])
        #expect(result.status == 0, "\(result.stderr)")
        let graph = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first))) as? [String: Any]
        #expect(graph?["format"] as? String == "flowc-graph")
        #expect(graph?["version"] as? Int == 1)
        #expect((graph?["flows"] as? [Any])?.count == 7)

        // The compiled graph draws the same as the YAML it came from.
        let fromYAML = try FlowcProcess.run(["graph", "flows/"])
        let fromGraph = try FlowcProcess.run(["graph", "--compiled", first])
        #expect(fromYAML.status == 0 && fromGraph.status == 0)
        #expect(fromYAML.stdout == fromGraph.stdout)
    }

    @Test func refusesToWriteWhenFlowsHaveErrors() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let flow = folder.appendingPathComponent("bad.yaml").path
        let output = folder.appendingPathComponent("out.json").path
        try """
            flow: bad
            trigger: { type: segment.threshold.crossed, segment: VIP, threshold: 10 }
            conditions:
              - event.data.memberCount + "x"
            actions:
              - type: log
                with: { message: hi }
            """.write(toFile: flow, atomically: true, encoding: .utf8)
        let result = try FlowcProcess.run(["compile", flow, "-o", output])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(flow):4:"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func loadingRefusesAnotherFormat() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("other.json").path
        try #"{"format": "something-else", "version": 1, "compiler": "x", "flows": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try FlowcProcess.run(["graph", "--compiled", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("flowc-graph"))
    }

    @Test(arguments: ["dot", "mermaid"])
    func drawsEveryFlow(format: String) throws {
        let result = try FlowcProcess.run(["graph", "--format", format, "flows/"])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["vip-segment-growth", "datasource-failure-alert", "nightly-refresh-report"] {
            #expect(result.stdout.contains(name))
        }
    }
}
