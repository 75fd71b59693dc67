import ArgumentParser
import Catalog
import Diagnostics

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain a diagnostic code, or describe a trigger, action or event type.",
        discussion: "Without an argument, lists every diagnostic code. Exit codes: 0, 2 unknown code."
    )

    @Argument(help: "A diagnostic code (FC0102), or a trigger, action or event type name from the catalog.")
    var topic: String?

    func run() throws {
        let index = AllExplanations.index
        guard let topic else {
            for explanation in index.all {
                print("\(explanation.code)  \(explanation.severity.rawValue.padding(7))  \(explanation.summary)")
            }
            return
        }
        let code = DiagnosticCode(topic.uppercased())
        if let explanation = index[code] {
            print(Self.render(explanation))
            return
        }
        if let text = CatalogDescription.describe(topic, in: .standard) {
            print(text)
            return
        }
        var message = "error: unknown diagnostic code or catalog name `\(topic)`"
        let candidates = index.all.map(\.code.rawValue) + CatalogDescription.names(in: .standard)
        if let suggestion = Suggestions.closest(to: topic, in: candidates) {
            message += "; did you mean `\(suggestion)`?"
        }
        Terminal.printError(message + "\nrun `flowc explain` for the list of codes")
        throw ExitCode(2)
    }

    static func render(_ explanation: Explanation) -> String {
        """
        \(explanation.code) (\(explanation.name)), \(explanation.severity.rawValue): \(explanation.summary)

        \(explanation.details)

        Wrong:
        \(explanation.wrong.indented())

        Right:
        \(explanation.right.indented())
        """
    }
}

/// Texts for catalog entries, taken from `Grammar/catalog.json`.
enum CatalogDescription {
    static func names(in catalog: Catalog) -> [String] {
        catalog.triggers.map(\.name) + catalog.actionTypeNames + catalog.events.map(\.type)
    }

    static func describe(_ name: String, in catalog: Catalog) -> String? {
        if let trigger = catalog.trigger(name) {
            var text = "trigger \(trigger.name)"
            if let event = trigger.event { text += " (listens to \(event))" }
            text += "\n\n\(trigger.description)\n"
            if !trigger.parameters.isEmpty {
                text += "\nParameters:\n" + trigger.parameters.map(parameterLine).joined(separator: "\n") + "\n"
            }
            if !trigger.derived.isEmpty {
                text += "\nAlso in `trigger`:\n" + trigger.derived.map(fieldLine).joined(separator: "\n") + "\n"
            }
            return text
        }
        if let action = catalog.action(name) {
            var text = "action \(action.name)\n\n\(action.description)\n"
            if !action.inputs.isEmpty {
                text += "\nInputs (`with`):\n" + action.inputs.map(parameterLine).joined(separator: "\n") + "\n"
            }
            if !action.output.isEmpty {
                text += "\nOutput (`actions.ID.output`):\n" + action.output.map(fieldLine).joined(separator: "\n") + "\n"
            }
            return text
        }
        if let control = catalog.control(name) {
            return "control action \(control.name)\n\n\(control.description)\n\nKeys:\n" + control.keys.map(parameterLine).joined(separator: "\n") + "\n"
        }
        if let event = catalog.event(name) {
            return "event type \(event.type)\n\n\(event.description)\n\nData fields:\n" + event.fields.map(fieldLine).joined(separator: "\n") + "\n"
        }
        return nil
    }

    private static func parameterLine(_ parameter: Parameter) -> String {
        var line = "  \(parameter.name): \(parameter.type)"
        if parameter.required { line += ", required" }
        if let values = parameter.values { line += ", one of " + values.joined(separator: "|") }
        if let value = parameter.defaultValue { line += ", default \(value)" }
        if !parameter.description.isEmpty { line += " — \(parameter.description)" }
        return line
    }

    private static func fieldLine(_ field: Field) -> String {
        var line = "  \(field.name)\(field.optional ? "?" : ""): \(field.type)"
        if let values = field.values { line += " (" + values.joined(separator: ", ") + ")" }
        if !field.description.isEmpty { line += " — \(field.description)" }
        return line
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func indented(by spaces: Int = 4) -> String {
        let prefix = String(repeating: " ", count: spaces)
        return split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : prefix + $0 }.joined(separator: "\n")
    }
}
