import Diagnostics

extension DiagnosticCode {
    /// A path on the command line names nothing.
    static let noSuchPath = DiagnosticCode("FC0090")
}

/// Codes that only the command line produces.
enum CommandDiagnostics {
    static let explanations: [Explanation] = [
        Explanation(
            .noSuchPath, name: "no-such-path",
            summary: "a path given on the command line does not exist",
            details: "Every PATH given to `flowc lint`, `compile`, `graph`, `run` or `test` must be an existing file or folder. Folders are searched recursively for `*.yaml` and `*.yml` files; `*.test.yaml` files are left to `flowc test`.",
            wrong: "flowc lint flow/        # the folder is called flows/",
            right: "flowc lint flows/"
        ),
    ]
}
