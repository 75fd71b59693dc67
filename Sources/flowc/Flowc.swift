import ArgumentParser
import Catalog
import Foundation

@main
struct Flowc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowc",
        abstract: "Automation flows as code: lint, compile, run and test flows over CloudEvents.",
        version: FlowcVersion.current,
        subcommands: [Lint.self, Compile.self, Draw.self, Run.self, Runs.self, TestFlows.self, Eval.self, Explain.self]
    )

    /// Like ArgumentParser's own entry point, except that usage errors exit with 2, as every
    /// flowc command promises, instead of sysexits' 64.
    static func main() {
        if let problem = Catalog.standardLoadError {
            FileHandle.standardError.write(Data("flowc: internal error: \(problem)\n".utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let isHelp = code == .success
                let text = message.hasSuffix("\n") ? message : message + "\n"
                (isHelp ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
            }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

enum FlowcVersion {
    static let current = "0.1.0"
}
