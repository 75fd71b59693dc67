import ArgumentParser

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Explain a diagnostic code.")
}
