import ArgumentParser

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Not available yet.")
}
