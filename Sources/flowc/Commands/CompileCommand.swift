import ArgumentParser
import Diagnostics
import Flows
import Foundation
import Graph

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Check flow files and write their compiled graph.",
        discussion: """
            Lints PATH... exactly as `flowc lint` does, with the diagnostics on standard error, \
            then writes one JSON graph of every flow (format `flowc-graph`, version 1) to FILE, \
            or to standard output with `-o -`. Nothing is written when there are errors.
            Exit codes: 0 written (warnings allowed), 1 errors found, 2 usage or I/O failure.
            """
    )

    @Argument(help: "Flow files or folders.")
    var paths: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the graph; `-` for standard output.", valueName: "FILE"))
    var output: String

    @OptionGroup var options: DiagnosticOptions

    func run() throws {
        let outcome = try LintOutcome.lintForCommand(paths: paths)
        DiagnosticReporter(options: options, toStandardOutput: false)
            .report(outcome.diagnostics, summary: outcome.summary, sources: outcome.sources)
        guard outcome.exitCode == 0 else { throw ExitCode(outcome.exitCode) }
        let graph = GraphLowering.lower(outcome.checked, compiler: "flowc \(FlowcVersion.current)")
        let bytes = GraphIO.encode(graph)
        if output == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            Terminal.printError("error: cannot write `\(output)`: \(error.localizedDescription)")
            throw ExitCode(2)
        }
    }
}
