import ArgumentParser

@main
struct Flowc: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flowc", abstract: "Automation flows as code.")
}
