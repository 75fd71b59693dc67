import ArgumentParser
import Diagnostics
import FlowTestRunner
import Foundation

struct TestFlows: ParsableCommand {
    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, junit
    }

    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run flow tests (*.test.yaml) against recorded events.",
        discussion: """
            PATH is a test file or a folder, searched recursively for *.test.yaml files. Each \
            test feeds its events to the flows listed in the file, answers their http requests \
            from canned responses (never the network) and compares runs, emitted events and \
            requests with its `expect`. Events are processed one at a time, each event's runs \
            finishing before the next; retry delays are cut to 1ms.
            Exit codes: 0 all tests passed, 1 a test failed, a test file has errors or coverage \
            is below --min-coverage, 2 usage or I/O failure.
            """
    )

    @Argument(help: "Test files or folders.")
    var paths: [String]

    @Option(help: "Report format: text, or junit (JUnit XML on standard output).")
    var format: ReportFormat = .text

    @Flag(help: "Report which flows, actions and branches the tests exercised.")
    var coverage = false

    @Option(name: .customLong("min-coverage"), help: "Fail when the coverage (flows, actions and branches together) is below this percentage.")
    var minCoverage: Double?

    func validate() throws {
        if let minCoverage, !(0...100).contains(minCoverage) { throw ValidationError("--min-coverage is a percentage, 0 to 100") }
    }

    func run() throws {
        let files: [String]
        do {
            files = try InputFiles.testFiles(in: paths)
        } catch let error as InputFiles.MissingPath {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
        if files.isEmpty {
            Terminal.printError("error: no *.test.yaml files in \(paths.joined(separator: ", "))")
            throw ExitCode(2)
        }
        let outcomes = FlowTestRunner.runBlocking(files: files)
        let report = TestReport(outcomes: outcomes, colored: format == .text && Terminal.isColorAllowed(fileDescriptor: STDOUT_FILENO))
        switch format {
        case .text:
            Terminal.write(report.text, to: .standardOutput)
        case .junit:
            Terminal.write(JUnitReport.render(outcomes), to: .standardOutput)
            Terminal.printError(report.summaryLine)
        }
        var totalCoverage = FlowCoverage(flows: [])
        for outcome in outcomes { totalCoverage.merge(outcome.coverage) }
        if coverage || minCoverage != nil {
            var lines = [totalCoverage.summary]
            if coverage {
                lines += totalCoverage.missedFlows.map { "  flow not run: \($0)" }
                lines += totalCoverage.missedActions.map { "  action not run: \($0)" }
                lines += totalCoverage.missedBranches.map { "  branch not taken: \($0)" }
            }
            let text = lines.joined(separator: "\n") + "\n"
            if format == .text { Terminal.write(text, to: .standardOutput) } else { Terminal.printError(text) }
        }
        if report.failed > 0 { throw ExitCode(1) }
        if let minCoverage, totalCoverage.total.percent < minCoverage {
            Terminal.printError(String(format: "error: coverage %.1f%% is below --min-coverage %.1f%%", totalCoverage.total.percent, minCoverage))
            throw ExitCode(1)
        }
    }
}

/// The text report: failures as diagnostics, one PASS/FAIL line per test, and the summary.
struct TestReport {
    var outcomes: [FlowTestFileOutcome]
    var colored: Bool

    var passed: Int { outcomes.map { $0.results.count(where: \.passed) }.reduce(0, +) }
    /// Failed tests, plus one for each test file that could not run at all.
    var failed: Int { outcomes.map { $0.results.count { !$0.passed } + ($0.hasFileErrors ? 1 : 0) }.reduce(0, +) }
    var summaryLine: String { "\(passed) passed, \(failed) failed" }

    var text: String {
        let renderer = TextRenderer(colored: colored)
        var out = ""
        for outcome in outcomes {
            if outcome.hasFileErrors {
                out += renderer.render(outcome.diagnostics, summary: DiagnosticSummary(files: 1, flows: 0, diagnostics: outcome.diagnostics), sources: outcome.sources)
                out += "FAIL \(outcome.path): test file has errors\n"
                continue
            }
            for result in outcome.results {
                if !result.passed {
                    out += renderer.render(result.failures, summary: DiagnosticSummary(files: 1, flows: 0, diagnostics: result.failures), sources: outcome.sources)
                }
                out += "\(result.passed ? "PASS" : "FAIL") \(outcome.path): \(result.name)\n"
            }
        }
        return out + summaryLine + "\n"
    }
}
