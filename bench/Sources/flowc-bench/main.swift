// Benchmarks print figures; they never assert. `flowc-bench NAME [options]`.
let arguments = Array(CommandLine.arguments.dropFirst())
let name = arguments.first ?? "help"
let rest = Array(arguments.dropFirst())
switch name {
case "cel":
    CELBenchmark.run(rest)
case "lint":
    LintBenchmark.run(rest)
case "lint-profile":
    LintBenchmark.profile(rest)
case "run":
    RunBenchmark.run(rest)
case "corpus":
    // The lint corpus as a file, for profiling `flowc lint` itself.
    let count = rest.first.flatMap { Int($0) } ?? 2_000
    print(String(decoding: CorpusGenerator.corpus(flowCount: count), as: UTF8.self), terminator: "")
default:
    print("usage: flowc-bench cel|lint|run [options] | corpus [FLOWS]")
}
