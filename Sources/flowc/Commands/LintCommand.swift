import ArgumentParser

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parse and check flow files.")
}
