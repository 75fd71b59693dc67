import ArgumentParser
import CEL
import Diagnostics
import Flows
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate one CEL expression and print its value as a CEL literal.",
        discussion: """
            Exit codes: 0 value printed, 1 parse, type or evaluation error, 2 usage.
            Example: flowc eval --let n=3 -- 'n * 2 > 5'
            """
    )

    @Flag(name: .customLong("no-check"), help: "Skip type checking; every name is dyn.")
    var noCheck = false

    @Option(name: .customLong("let"), help: ArgumentHelp("Bind NAME to the value of a closed expression, with its type.", valueName: "NAME=EXPR"))
    var bindings: [String] = []

    @Option(name: .customLong("event"), help: ArgumentHelp("Bind `event` to the CloudEvent in a JSON file.", valueName: "FILE"))
    var eventFile: String?

    @ArgumentParser.Argument(help: "The expression.")
    var expression: String

    func validate() throws {
        for binding in bindings {
            guard let equals = binding.firstIndex(of: "="), equals != binding.startIndex else {
                throw ValidationError("`--let` takes NAME=EXPR, got `\(binding)`")
            }
        }
    }

    func run() throws {
        var environment = CELEnvironment()
        var values: [(slot: Int, value: CELValue)] = []

        for binding in bindings {
            guard let equals = binding.firstIndex(of: "=") else { continue }
            let name = String(binding[..<equals])
            let text = String(binding[binding.index(after: equals)...])
            let file = SourceFile(path: "--let \(name)", text: text)
            guard let (value, type) = evaluateClosed(text, file: file) else { throw ExitCode(1) }
            let slot = environment.declare(name, type: noCheck ? .dyn : type)
            values.append((slot, value))
        }
        if let eventFile {
            switch EventLoader.load(path: eventFile) {
            case .success(let (value, type)):
                let slot = environment.declare("event", type: noCheck ? .dyn : type)
                values.append((slot, value))
            case .failure(let failure):
                FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
                throw ExitCode(2)
            }
        }

        let file = SourceFile(path: "<expr>", text: expression)
        guard let program = compile(expression, in: environment, file: file) else { throw ExitCode(1) }
        let activation = CELActivation(environment: environment)
        for (slot, value) in values { activation[slot] = value }
        let result = program.evaluate(activation)
        if case .error(let error) = result {
            if let issue = error.issue {
                render([issue], file: file)
            } else {
                FileHandle.standardError.write(Data("error: evaluation failed: \(error.message)\n".utf8))
            }
            throw ExitCode(1)
        }
        print(CELLiteral.format(result))
    }

    /// A closed expression's value and type, or nil after printing why it failed.
    private func evaluateClosed(_ text: String, file: SourceFile) -> (CELValue, CELType)? {
        let environment = CELEnvironment()
        guard let program = compile(text, in: environment, file: file) else { return nil }
        let value = program.evaluate(CELActivation(environment: environment))
        if case .error(let error) = value {
            FileHandle.standardError.write(Data("error: evaluation of `\(file.path)` failed: \(error.message)\n".utf8))
            return nil
        }
        return (value, program.resultType == .dyn ? Self.type(of: value) : program.resultType)
    }

    private func compile(_ text: String, in environment: CELEnvironment, file: SourceFile) -> CELProgram? {
        let issues: [CELIssue]
        switch CELParser.parse(text, limits: environment.limits) {
        case .failure(let issue):
            issues = [issue]
        case .success(let parsed):
            if noCheck { return environment.uncheckedProgram(for: parsed) }
            let checked = environment.check(parsed)
            if checked.issues.isEmpty { return environment.program(for: checked) }
            issues = checked.issues
        }
        render(issues, file: file)
        return nil
    }

    private func render(_ issues: [CELIssue], file: SourceFile) {
        let diagnostics = issues.map { $0.diagnostic(in: file) }
        let colored = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let rendered = TextRenderer(colored: colored).render(diagnostics, summary: DiagnosticSummary(files: 1, flows: 0, diagnostics: diagnostics), sources: SourceFiles([file]))
        FileHandle.standardError.write(Data(rendered.utf8))
    }

    /// The most specific type of a value (for `--let` values whose checked type is `dyn`).
    static func type(of value: CELValue) -> CELType {
        switch value {
        case .list(let elements):
            let types = Set(elements.map { type(of: $0) })
            return .list(types.count == 1 ? types.first ?? .dyn : .dyn)
        case .map(let map):
            let keys = Set(map.entries.map { type(of: $0.key) })
            let values = Set(map.entries.map { type(of: $0.value) })
            return .map(keys.count == 1 ? keys.first ?? .dyn : .dyn, values.count == 1 ? values.first ?? .dyn : .dyn)
        case .type(let inner):
            return .type(inner)
        default:
            return value.celType
        }
    }
}

/// Reads a CloudEvent from a JSON file for `--event`.
enum EventLoader {
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func load(path: String) -> Result<(CELValue, CELType), Failure> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(Failure("cannot read event file `\(path)`"))
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            return .failure(Failure("event file `\(path)` is not valid JSON: \(error.localizedDescription)"))
        }
        guard var attributes = object as? [String: Any] else {
            return .failure(Failure("event file `\(path)` must hold a JSON object (a CloudEvent)"))
        }
        if attributes["time"] == nil {
            // As at run time: an event without `time` gets the time flowc read it.
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            attributes["time"] = formatter.string(from: Date())
        }
        return CELBridge.event(attributes).mapError { Failure("event file `\(path)` does not fit its catalog type: \($0)") }
    }
}
