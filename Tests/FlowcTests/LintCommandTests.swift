import Foundation
import Testing

@Suite struct LintCommandTests {
    @Test func bundledExamplesAreClean() throws {
        let result = try FlowcProcess.run(["lint", "flows/"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(": 0 errors, 0 warnings"))
    }

    @Test func errorsExitWithOneAndPointIntoTheFile() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.yaml").path
        try """
            flow: bad
            trigger:
              type: datasource.refresh.failed
            actions:
              - type: log
                with: { message: hi }
                run_afer: {}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try FlowcProcess.run(["lint", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(path):7:5: error[FC"))
        #expect(result.stdout.contains("run_after"))
        #expect(result.stdout.contains("1 file, 1 flow: 1 error, 0 warnings"))
    }

    @Test func missingPathIsAUsageError() throws {
        let result = try FlowcProcess.run(["lint", "no/such/folder"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no such file or folder: no/such/folder"))
    }

    @Test func unknownFormatIsAUsageError() throws {
        let result = try FlowcProcess.run(["lint", "--format", "xml", "flows/"])
        #expect(result.status == 2)
    }

    @Test(arguments: ["json", "sarif", "github"])
    func machineFormatsKeepStandardOutputClean(format: String) throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.yaml").path
        try "flow: Bad Name\ntrigger: { type: nope }\nactions: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try FlowcProcess.run(["lint", "--format", format, path])
        #expect(result.status == 1)
        if format == "github" {
            for line in result.stdout.split(separator: "\n") {
                #expect(line.hasPrefix("::error ") || line.hasPrefix("::warning ") || line.hasPrefix("::notice "))
            }
        } else {
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object != nil)
            if format == "json" {
                let summary = object?["summary"] as? [String: Any]
                #expect(summary?["files"] as? Int == 1)
                #expect((summary?["errors"] as? Int ?? 0) >= 1)
            } else {
                #expect(object?["version"] as? String == "2.1.0")
            }
        }
    }

    @Test func unreadableInputGetsADiagnosticNotACrash() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("latin1.yaml").path
        try Data([0x66, 0x6C, 0x6F, 0x77, 0x3A, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        let result = try FlowcProcess.run(["lint", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(path):1:7: error[FC"))
    }
}

@Suite struct ExplainCommandTests {
    @Test func everyCodeHasAnExplanationWithExamples() throws {
        let list = try FlowcProcess.run(["explain"])
        #expect(list.status == 0)
        let codes = list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(codes.count >= 30)
        for code in codes {
            let result = try FlowcProcess.run(["explain", code])
            #expect(result.status == 0, "\(code)")
            #expect(result.stdout.contains("Wrong:") && result.stdout.contains("Right:"), "\(code)")
        }
    }

    @Test func unknownCodeIsExitTwoWithASuggestion() throws {
        let result = try FlowcProcess.run(["explain", "FC9999"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown"))
    }

    @Test func catalogEntriesAreDescribed() throws {
        let result = try FlowcProcess.run(["explain", "segment.threshold.crossed"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("threshold"))
    }
}
