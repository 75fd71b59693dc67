import ArgumentParser
import Diagnostics
import Foundation
import Graph

extension GraphDrawing.Format: ExpressibleByArgument {}

struct Draw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the compiled graph of flows in Graphviz DOT or Mermaid.",
        discussion: """
            PATH is a flow file or a folder, as for `flowc lint`. The flows are checked first: \
            diagnostics go to standard error, and when there are errors nothing is drawn. The \
            drawing goes to standard output, e.g. `flowc graph flows/ | dot -Tsvg > flows.svg`. \
            With --compiled, draws a graph written by `flowc compile` instead.
            Exit codes: 0 drawn, 1 errors found or an invalid compiled graph, 2 usage or I/O failure.
            """
    )

    @Argument(help: "Flow files or folders.")
    var paths: [String] = []

    @Option(name: .long, help: "Drawing format.")
    var format: GraphDrawing.Format = .dot

    @Option(name: .long, help: ArgumentHelp("Draw a compiled graph written by `flowc compile`.", valueName: "file"))
    var compiled: String?

    @Flag(name: .long, help: "Print only diagnostics: no summary line.")
    var quiet = false

    func validate() throws {
        if compiled == nil, paths.isEmpty { throw ValidationError("give flow files or folders, or --compiled FILE") }
        if compiled != nil, !paths.isEmpty { throw ValidationError("give either flow files or --compiled FILE, not both") }
    }

    func run() throws {
        let graph = try compiled.map(Self.readCompiled) ?? checkedAndLowered()
        Terminal.write(GraphDrawing.draw(graph, as: format), to: .standardOutput)
    }

    /// Lints `paths` as `flowc lint` does, reporting to standard error, and lowers the flows
    /// when there is no error.
    private func checkedAndLowered() throws -> FlowGraph {
        let outcome = try LintOutcome.lintForCommand(paths: paths)
        // `--format` names the drawing here, so diagnostics always use the text format.
        let options = try DiagnosticOptions.parse(quiet ? ["--quiet"] : [])
        DiagnosticReporter(options: options, toStandardOutput: false)
            .report(outcome.diagnostics, summary: outcome.summary, sources: outcome.sources)
        guard outcome.exitCode == 0 else { throw ExitCode(outcome.exitCode) }
        return GraphLowering.lower(outcome.checked, compiler: "flowc \(FlowcVersion.current)")
    }

    private static func readCompiled(_ path: String) throws -> FlowGraph {
        guard let data = FileManager.default.contents(atPath: path) else {
            Terminal.printError("error: cannot read `\(path)`")
            throw ExitCode(2)
        }
        do {
            return try GraphIO.decode([UInt8](data))
        } catch {
            for problem in error.problems { Terminal.printError("error: \(path): \(problem)") }
            throw ExitCode(1)
        }
    }
}
