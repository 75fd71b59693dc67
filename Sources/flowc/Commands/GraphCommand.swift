import ArgumentParser

struct Draw: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Not available yet.")
}
