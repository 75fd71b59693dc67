import CEL
import Catalog
import Foundation
import Graph

/// Why a flow of the graph cannot run: an expression that does not compile here.
public struct FlowLoadError: Error, Sendable, CustomStringConvertible {
    public var flow: String
    public var message: String
    public var span: GraphSpan?

    public var description: String {
        guard let span else { return "flow `\(flow)`: \(message)" }
        return "\(span.file):\(span.line):\(span.column): error: flow `\(flow)`: \(message)"
    }
}

/// `concurrency:` of a flow (SPEC 8.4).
public enum ConcurrencyMode: String, Sendable {
    case single, queued, parallel
}

/// A graph value with its expressions compiled.
indirect enum CompiledValue: Sendable {
    case literal(CELValue)
    case expression(CELProgram, GraphExpression)
    case template([CompiledSegment])
    case list([CompiledValue])
    case map([(String, CompiledValue)])

    enum CompiledSegment: Sendable {
        case text(String)
        case expression(CELProgram, GraphExpression)
    }
}

/// The names expressions of one flow may use, each with its activation slot (SPEC 4.3).
/// `event` is typed by the catalog so that field reads are slot reads; the rest are `dyn`
/// (the graph was type-checked when it was linted, and values here are maps).
struct FlowSlots: Sendable {
    var event = 0, trigger = 0, vars = 0, actions = 0, env = 0, secrets = 0, now = 0, flow = 0
    var loops: [String: Int] = [:]
}

/// An action with its expressions compiled.
final class CompiledAction: Sendable {
    let graph: GraphAction
    /// The action's position in its scope (written order).
    let index: Int
    let condition: CELProgram?
    let inputs: [(String, CompiledValue)]
    let scopes: [CompiledScope]

    init(graph: GraphAction, index: Int, condition: CELProgram?, inputs: [(String, CompiledValue)], scopes: [CompiledScope]) {
        self.graph = graph
        self.index = index
        self.condition = condition
        self.inputs = inputs
        self.scopes = scopes
    }

    func input(_ name: String) -> CompiledValue? { inputs.first { $0.0 == name }?.1 }
}

/// A nested action list: actions in written order, incoming edges by target index.
struct CompiledScope: Sendable {
    struct Incoming: Sendable {
        var from: Int
        var on: Set<String>
        var implicit: Bool
    }

    var path: String
    var label: String?
    var actions: [CompiledAction]
    var incoming: [[Incoming]]
}

/// One flow, ready to run: its programs compiled against the flow's environment.
public final class CompiledFlow: Sendable {
    public let graph: GraphFlow
    public var name: String { graph.name }
    public let concurrency: ConcurrencyMode
    let environment: CELEnvironment
    let slots: FlowSlots
    let filter: CELProgram?
    let key: CELProgram?
    let value: CELProgram?
    let conditions: [(CELProgram, GraphExpression)]
    let vars: [(String, CompiledValue)]
    let actions: CompiledScope
    /// The trigger's parameters as values (`trigger.NAME`).
    let parameters: [(String, CELValue)]
    /// `flow` in expressions.
    let flowValue: CELValue
    /// `threshold` triggers: whether the watched value is an int (segments) or a double.
    let thresholdIsInt: Bool

    public init(_ graph: GraphFlow, registry: EventTypeRegistry) throws(FlowLoadError) {
        self.graph = graph
        guard let mode = ConcurrencyMode(rawValue: graph.concurrency) else {
            throw FlowLoadError(flow: graph.name, message: "unknown concurrency `\(graph.concurrency)`", span: graph.trigger.span)
        }
        concurrency = mode
        var environment = CELEnvironment()
        var slots = FlowSlots()
        let eventType = graph.trigger.eventType.flatMap(registry.eventType)
        slots.event = environment.declare("event", type: eventType ?? .dyn)
        slots.trigger = environment.declare("trigger", type: .dyn)
        slots.vars = environment.declare("vars", type: .dyn)
        slots.actions = environment.declare("actions", type: .dyn)
        slots.env = environment.declare("env", type: .map(.string, .string))
        slots.secrets = environment.declare("secrets", type: .map(.string, .string))
        slots.now = environment.declare("now", type: .timestamp)
        slots.flow = environment.declare("flow", type: .dyn)
        for name in Self.loopNames(graph.actions) where slots.loops[name] == nil {
            slots.loops[name] = environment.declare(name, type: .dyn)
        }
        self.environment = environment
        self.slots = slots
        let compiler = ExpressionCompiler(flow: graph.name, environment: environment)
        let trigger = graph.trigger
        filter = try compiler.compile(trigger.filter)
        key = try compiler.compile(trigger.key)
        value = try compiler.compile(trigger.value)
        var conditions: [(CELProgram, GraphExpression)] = []
        for condition in graph.conditions { conditions.append((try compiler.compile(condition), condition)) }
        self.conditions = conditions
        var vars: [(String, CompiledValue)] = []
        for variable in graph.vars {
            vars.append((variable.name, try compiler.value(variable.value, type: try? CatalogType.parse(variable.type))))
        }
        self.vars = vars
        actions = try compiler.scope(graph.actions)
        var parameters: [(String, CELValue)] = []
        var intValued = false
        for parameter in trigger.parameters {
            parameters.append((parameter.name, RuntimeValues.literal(parameter.value, as: try? CatalogType.parse(parameter.type))))
        }
        if trigger.kind == .threshold {
            if trigger.key == nil || trigger.value == nil || trigger.threshold == nil {
                throw FlowLoadError(flow: graph.name, message: "a threshold trigger needs `key`, `value` and `threshold`", span: trigger.span)
            }
            intValued = trigger.value?.type == "int"
        }
        self.parameters = parameters
        thresholdIsInt = intValued
        flowValue = RuntimeValues.map([("name", .string(graph.name))])
    }

    private static func loopNames(_ scope: GraphScope) -> [String] {
        var names: [String] = []
        for action in scope.actions {
            if action.type == "foreach" {
                if case .string(let name)? = action.input("as") { names.append(name) } else { names.append("item") }
            }
            for nested in action.scopes { names += loopNames(nested) }
        }
        return names
    }
}

/// Compiles the graph's expressions against one flow's environment.
struct ExpressionCompiler {
    var flow: String
    var environment: CELEnvironment

    func compile(_ expression: GraphExpression) throws(FlowLoadError) -> CELProgram {
        switch environment.compile(expression.source) {
        case .success(let program): return program
        case .failure(let issues):
            let message = issues.issues.map(\.message).joined(separator: "; ")
            throw FlowLoadError(flow: flow, message: "expression `\(expression.source)` does not compile: \(message)", span: expression.span)
        }
    }

    func compile(_ expression: GraphExpression?) throws(FlowLoadError) -> CELProgram? {
        guard let expression else { return nil }
        return try compile(expression)
    }

    func value(_ value: GraphValue, type: CatalogType? = nil) throws(FlowLoadError) -> CompiledValue {
        switch value {
        case .expression(let expression): return .expression(try compile(expression), expression)
        case .template(let segments):
            var compiled: [CompiledValue.CompiledSegment] = []
            for segment in segments {
                switch segment {
                case .text(let text): compiled.append(.text(text))
                case .expression(let expression): compiled.append(.expression(try compile(expression), expression))
                }
            }
            return .template(compiled)
        case .list(let items):
            var element: CatalogType?
            if case .list(let declared) = type { element = declared }
            var compiled: [CompiledValue] = []
            for item in items { compiled.append(try self.value(item, type: element)) }
            return .list(compiled)
        case .map(let entries):
            var compiled: [(String, CompiledValue)] = []
            for entry in entries { compiled.append((entry.key, try self.value(entry.value))) }
            return .map(compiled)
        default:
            return .literal(RuntimeValues.literal(value, as: type))
        }
    }

    func scope(_ scope: GraphScope) throws(FlowLoadError) -> CompiledScope {
        var actions: [CompiledAction] = []
        var positions: [String: Int] = [:]
        for (index, action) in scope.actions.enumerated() {
            positions[action.path] = index
            if let id = action.id { positions[id] = index }
        }
        for (index, action) in scope.actions.enumerated() {
            var inputs: [(String, CompiledValue)] = []
            for input in action.inputs { inputs.append((input.name, try value(input.value))) }
            var scopes: [CompiledScope] = []
            for nested in action.scopes { scopes.append(try self.scope(nested)) }
            actions.append(CompiledAction(graph: action, index: index, condition: try compile(action.condition), inputs: inputs, scopes: scopes))
        }
        var incoming: [[CompiledScope.Incoming]] = Array(repeating: [], count: actions.count)
        for edge in scope.edges {
            guard let from = positions[edge.from], let to = positions[edge.to] else {
                throw FlowLoadError(flow: flow, message: "edge `\(edge.from)` → `\(edge.to)` names an action outside `\(scope.path)`", span: nil)
            }
            if from == to {
                throw FlowLoadError(flow: flow, message: "action `\(edge.to)` depends on itself", span: nil)
            }
            incoming[to].append(.init(from: from, on: Set(edge.on), implicit: edge.implicit))
        }
        return CompiledScope(path: scope.path, label: scope.label, actions: actions, incoming: incoming)
    }
}
