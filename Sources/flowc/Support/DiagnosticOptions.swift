import ArgumentParser
import CEL
import Diagnostics
import Flows
import FlowTestRunner
import Foundation
import YAML

extension DiagnosticFormat: ExpressibleByArgument {}

/// `--format` and `--quiet`, shared by the commands that report diagnostics.
struct DiagnosticOptions: ParsableArguments {
    @Option(name: .long, help: "Diagnostics format: \(DiagnosticFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: DiagnosticFormat = .text

    @Flag(name: .long, help: "Print only diagnostics: no summary line.")
    var quiet = false
}

/// Every code of every layer, for `flowc explain` and SARIF rules.
enum AllExplanations {
    static let index = ExplanationIndex(
        YAMLDiagnostics.explanations,
        FlowDiagnostics.explanations,
        CELDiagnostics.explanations,
        FlowTypingDiagnostics.explanations,
        CommandDiagnostics.explanations,
        FlowTestDiagnostics.explanations
    )
}

/// Where a report goes and whether it may use colour: only on a terminal, never with `NO_COLOR`.
enum Terminal {
    static func isColorAllowed(fileDescriptor: Int32) -> Bool {
        if let value = ProcessInfo.processInfo.environment["NO_COLOR"], !value.isEmpty { return false }
        return isatty(fileDescriptor) == 1
    }

    static func write(_ text: String, to handle: FileHandle) {
        guard !text.isEmpty else { return }
        handle.write(Data(text.utf8))
    }

    static func printError(_ text: String) {
        write(text.hasSuffix("\n") ? text : text + "\n", to: .standardError)
    }
}

/// Renders a report in the chosen format to the chosen stream.
struct DiagnosticReporter {
    var options: DiagnosticOptions
    var toStandardOutput: Bool

    func report(_ diagnostics: [Diagnostic], summary: DiagnosticSummary, sources: SourceFiles) {
        let handle: FileHandle = toStandardOutput ? .standardOutput : .standardError
        let colored = options.format == .text && Terminal.isColorAllowed(fileDescriptor: toStandardOutput ? STDOUT_FILENO : STDERR_FILENO)
        let renderer = options.format.renderer(colored: colored, explanations: AllExplanations.index, toolVersion: FlowcVersion.current)
        var text = renderer.render(diagnostics, summary: summary, sources: sources)
        if options.format == .text, !options.quiet {
            if !diagnostics.isEmpty { text += "\n" }
            text += summary.line + "\n"
            Terminal.write(text, to: handle)
        } else {
            Terminal.write(text, to: handle)
            if !options.quiet, options.format != .json {
                Terminal.printError(summary.line)
            }
        }
    }
}
