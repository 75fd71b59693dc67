import ArgumentParser

@main
struct Flowc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowc",
        abstract: "Automation flows as code: lint, compile, run and test flows over CloudEvents.",
        version: FlowcVersion.current,
        subcommands: [Lint.self, Explain.self, Eval.self]
    )
}

enum FlowcVersion {
    static let current = "0.1.0"
}
