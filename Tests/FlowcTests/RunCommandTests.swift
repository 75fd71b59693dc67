import Foundation
import Testing

@Suite struct RunCommandTests {
    private func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "flowc-run-\(UUID().uuidString)-\(name)"
    }

    private func lines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func runsTheExampleFlowsOverTheSampleEvents() throws {
        let runs = temporary("runs.ndjson")
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let result = try FlowcProcess.run(["run", "flows/", "--events", "flows/samples/events.ndjson", "--dry-run", "--runs", runs])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("flowc run: 400 events read, 0 rejected, 0 duplicates, 25 dropped by type"))
        let records = lines(runs)
        let flows = Set(records.compactMap { $0["flow"] as? String })
        #expect(flows.isSuperset(of: ["datasource-failure-alert", "unification-monitor", "crm-consent-audit", "nightly-refresh-report", "vip-segment-growth"]))
        let byFlow = Dictionary(grouping: records, by: { $0["flow"] as? String ?? "" })
        #expect(byFlow["datasource-failure-alert"]?.count == 8)
        #expect(byFlow["unification-monitor"]?.count == 17)
        #expect(byFlow["crm-consent-audit"]?.count == 13)
        #expect(byFlow["nightly-refresh-report"]?.count == 11)
        let emitted = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!emitted.isEmpty)
        #expect(emitted.allSatisfy { $0["specversion"] as? String == "1.0" && ($0["source"] as? String ?? "").hasPrefix("flowc/") && $0["flowcrunid"] is String })
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func outputThatCannotBeWrittenIsAnErrorNotASilentLoss() throws {
        let result = try FlowcProcess.run(["run", "flows/", "--events", "flows/samples/events.ndjson", "--dry-run", "--out", "/dev/full"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("error: cannot write `/dev/full`"), "\(result.stderr)")
    }

    @Test func webhooksGoToTheEnvironmentsURLs() throws {
        // Ports with nothing listening: http fails with http.connect, runs fail, nothing crashes.
        let env = ["SALES_WEBHOOK": "http://127.0.0.1:9/", "OPS_WEBHOOK": "http://127.0.0.1:9/", "AUDIT_URL": "http://127.0.0.1:9/",
                   "METRICS_URL": "http://127.0.0.1:9/", "FINANCE_API": "http://127.0.0.1:9/", "DASHBOARD_URL": "http://127.0.0.1:9/"]
        let events = try String(contentsOfFile: FlowcProcess.packageRoot.appendingPathComponent("flows/samples/events.ndjson").path, encoding: .utf8)
        let firstLines = events.split(separator: "\n").prefix(12).joined(separator: "\n") + "\n"
        let result = try FlowcProcess.run(["run", "flows/", "--events", "-"], environment: env, stdin: firstLines)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("12 events read"))
    }

    @Test func rejectedLinesExitOneAndGoToTheDeadLetterFile() throws {
        let dead = temporary("dead.ndjson")
        defer { try? FileManager.default.removeItem(atPath: dead) }
        let result = try FlowcProcess.run(["run", "flows/", "--events", "flows/samples/invalid-events.ndjson", "--dead-letter", dead])
        #expect(result.status == 1)
        #expect(result.stderr.contains("flows/samples/invalid-events.ndjson:5: data.memberCount: expected int, got string"))
        #expect(result.stderr.contains("14 rejected"))
        let copied = (try? String(contentsOfFile: dead, encoding: .utf8)) ?? ""
        let original = try String(contentsOfFile: FlowcProcess.packageRoot.appendingPathComponent("flows/samples/invalid-events.ndjson").path, encoding: .utf8)
        #expect(copied == original)
    }

    @Test func secretsAreRedactedEverywhere() throws {
        let folder = temporary("flows")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let flow = """
            flow: secretive
            trigger:
              type: event
              event_type: segment.refresh
            actions:
              - id: say
                type: log
                with:
                  message: "token is ${{ secrets.TOKEN }}"
              - id: out
                type: emit
                with:
                  type: leaked
                  data: { token: "${{ secrets.TOKEN }}" }
            """
        try flow.write(toFile: folder + "/secretive.yaml", atomically: true, encoding: .utf8)
        try "TOKEN=very-secret-42\n".write(toFile: folder + "/secrets.env", atomically: true, encoding: .utf8)
        let runs = folder + "/runs.ndjson"
        let event = #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"A","status":"succeeded","memberCount":1}}"#
        let result = try FlowcProcess.run(["run", folder + "/secretive.yaml", "--secrets", folder + "/secrets.env", "--runs", runs], stdin: event + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let all = result.stdout + result.stderr + ((try? String(contentsOfFile: runs, encoding: .utf8)) ?? "")
        #expect(!all.contains("very-secret-42"))
        #expect(result.stderr.contains("token is ***"))
        #expect(result.stdout.contains("\"token\":\"***\""))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try FlowcProcess.run(["run"]).status == 2)
        #expect(try FlowcProcess.run(["run", "flows/", "--clock", "moon"]).status == 2)
        #expect(try FlowcProcess.run(["run", "flows/", "--events", "/nonexistent/events.ndjson"]).status == 2)
    }

    @Test func refusesACompiledFileOfAnotherFormat() throws {
        let path = temporary("graph.json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"format": "something-else", "version": 1, "compiler": "x", "flows": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try FlowcProcess.run(["run", "--compiled", path], stdin: "")
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
    }

    @Test func followReadsAGrowingFileAndSIGTERMStopsGracefully() throws {
        let events = temporary("follow.ndjson")
        let runs = temporary("follow-runs.ndjson")
        let reference = temporary("reference.ndjson")
        let referenceRuns = temporary("reference-runs.ndjson")
        defer { for path in [events, runs, reference, referenceRuns] { try? FileManager.default.removeItem(atPath: path) } }
        let sample = try String(contentsOfFile: FlowcProcess.packageRoot.appendingPathComponent("flows/samples/events.ndjson").path, encoding: .utf8)
        let lines = sample.split(separator: "\n").map(String.init)
        // How many runs the first 12 events start, from a plain run over the same lines. The
        // 12th event of the sample starts a run, so once its record is written every
        // appended line has been read.
        try (lines.prefix(12).joined(separator: "\n") + "\n").write(toFile: reference, atomically: true, encoding: .utf8)
        _ = try FlowcProcess.run(["run", "flows/", "--dry-run", "--events", reference, "--runs", referenceRuns])
        let expectedRuns = Self.lineCount(referenceRuns)
        #expect(expectedRuns > 0)

        try (lines.prefix(10).joined(separator: "\n") + "\n").write(toFile: events, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = FlowcProcess.executable
        process.arguments = ["run", "flows/", "--dry-run", "--follow", "--events", events, "--runs", runs]
        process.currentDirectoryURL = FlowcProcess.packageRoot
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: events))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines[10..<12].joined(separator: "\n") + "\n").utf8))
        try handle.close()
        // Wait (bounded) until the appended events have been processed, then stop it.
        let deadline = Date().addingTimeInterval(60)
        while Self.lineCount(runs) < expectedRuns, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(stderr.contains("flowc run: 12 events read"), "\(stderr)")
    }

    private static func lineCount(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }
}
