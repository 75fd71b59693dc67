// Benchmarks print figures; they never assert. `flowc-bench NAME [options]`.
let arguments = Array(CommandLine.arguments.dropFirst())
let name = arguments.first ?? "help"
let rest = Array(arguments.dropFirst())
switch name {
case "cel":
    CELBenchmark.run(rest)
case "lint":
    LintBenchmark.run(rest)
case "run":
    RunBenchmark.run(rest)
default:
    print("usage: flowc-bench cel|lint [options]")
}
