import ArgumentParser

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate one CEL expression and print its value as a CEL literal.")
}
