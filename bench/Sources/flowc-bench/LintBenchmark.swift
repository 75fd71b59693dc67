enum LintBenchmark {
    static func run(_ arguments: [String]) {
        print("lint benchmark: not written yet")
    }
}
