import ArgumentParser

struct TestFlows: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Not available yet.")
}
