enum CELBenchmark {
    static func run(_ arguments: [String]) {
        print("cel benchmark: not written yet")
    }
}
