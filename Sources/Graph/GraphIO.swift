import CEL
import Catalog
import Flows
import Foundation

/// Reading and writing compiled graphs (SPEC 7) as JSON.
///
/// Writing is deterministic: keys sorted, two-space pretty printing, no escaped slashes, so
/// compiling the same flows twice gives the same bytes, and compile → decode → encode gives
/// the bytes back. Reading refuses another `format` or `version`, malformed JSON, and graphs
/// that are not consistent (see ``validate(_:catalog:)``), with messages that name the flow
/// and the path inside it.
public enum GraphIO {
    /// Why a graph could not be read: one message per problem.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var problems: [String]

        public init(_ problems: [String]) { self.problems = problems }

        public var description: String { problems.joined(separator: "\n") }
    }

    public static func encode(_ graph: FlowGraph) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Lowering never stores non-finite numbers; if one gets in, it is written as text rather than failing.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard var bytes = try? Array(encoder.encode(graph)) else { return [] }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Reads and validates a graph.
    public static func decode(_ bytes: [UInt8], catalog: Catalog = .standard) throws(LoadError) -> FlowGraph {
        let data = Data(bytes)
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw LoadError(["not a flowc graph: the JSON document is not an object"])
            }
            header = object
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(["not a flowc graph: the file is not valid JSON (\(error.localizedDescription))"])
        }
        guard let format = header["format"] as? String, format == FlowGraph.formatName else {
            let found = (header["format"] as? String).map { "`\($0)`" } ?? "missing"
            throw LoadError(["not a flowc graph: `format` is \(found), expected `\(FlowGraph.formatName)`"])
        }
        guard let version = header["version"] as? Int, version == FlowGraph.currentVersion else {
            let found = header["version"].map { "\($0)" } ?? "missing"
            throw LoadError(["flowc graph version \(found) is not supported: this flowc reads version \(FlowGraph.currentVersion); compile the flows again"])
        }
        let graph: FlowGraph
        do {
            graph = try JSONDecoder().decode(FlowGraph.self, from: data)
        } catch let error as DecodingError {
            throw LoadError(["malformed flowc graph: \(describe(error))"])
        } catch {
            throw LoadError(["malformed flowc graph: \(error)"])
        }
        let problems = validate(graph, catalog: catalog)
        guard problems.isEmpty else { throw LoadError(problems) }
        return graph
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the document" : "`\(text.hasPrefix(".") ? String(text.dropFirst()) : text)`"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)) has no `\(key.stringValue)`"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: - Validation

    static let statuses: Set<String> = ["succeeded", "failed", "skipped", "timed_out"]

    /// The problems of a graph, empty when it is consistent: unique flow names and action
    /// paths, edges between actions of one scope (or from an action that finished before the
    /// scope began), complete threshold triggers, var types that parse, and every expression
    /// re-checking, in the flow's scope, to the type recorded with it.
    public static func validate(_ graph: FlowGraph, catalog: Catalog = .standard) -> [String] {
        var problems: [String] = []
        var names = Set<String>()
        for flow in graph.flows {
            if !names.insert(flow.name).inserted { problems.append("flow `\(flow.name)`: the name is used twice") }
            var validator = FlowValidator(flow: flow, catalog: catalog)
            validator.run()
            problems += validator.problems
        }
        return problems
    }
}

struct FlowValidator {
    let flow: GraphFlow
    let catalog: Catalog
    var problems: [String] = []
    private var paths = Set<String>()

    init(flow: GraphFlow, catalog: Catalog) {
        self.flow = flow
        self.catalog = catalog
    }

    private mutating func problem(_ at: String, _ message: String) {
        problems.append("flow `\(flow.name)`, \(at): \(message)")
    }

    mutating func run() {
        if !["single", "queued", "parallel"].contains(flow.concurrency) {
            problem("concurrency", "`\(flow.concurrency)` is not `single`, `queued` or `parallel`")
        }
        for variable in flow.vars where (try? CatalogType.parse(variable.type)) == nil {
            problem("vars.\(variable.name)", "the type `\(variable.type)` does not parse")
        }
        let scope: FlowScope
        do {
            scope = try FlowScope(graphFlow: flow, catalog: catalog)
        } catch {
            problem("scope", "\(error)")
            return
        }
        checkTrigger(in: scope)
        for (offset, condition) in flow.conditions.enumerated() {
            check(condition, at: "conditions[\(offset)]", in: scope, expecting: "bool")
        }
        for variable in flow.vars {
            check(variable.value, at: "vars.\(variable.name)", in: scope)
        }
        if flow.actions.path != "actions" { problem("actions", "the top-level scope's path is `\(flow.actions.path)`, not `actions`") }
        checkScope(flow.actions, outer: [], in: scope)
    }

    private mutating func checkTrigger(in scope: FlowScope) {
        let trigger = flow.trigger
        if catalog.trigger(trigger.catalogName) == nil {
            problem("trigger", "unknown catalog trigger `\(trigger.catalogName)`")
        }
        for parameter in trigger.parameters where (try? CatalogType.parse(parameter.type)) == nil {
            problem("trigger.\(parameter.name)", "the type `\(parameter.type)` does not parse")
        }
        if let filter = trigger.filter { check(filter, at: "trigger.filter", in: scope, expecting: "bool") }
        switch trigger.kind {
        case .match:
            if trigger.eventTypes.isEmpty { problem("trigger", "a `match` trigger listens to no event type") }
        case .threshold:
            if trigger.key == nil { problem("trigger", "a `threshold` trigger needs `key`") }
            if trigger.value == nil { problem("trigger", "a `threshold` trigger needs `value`") }
            if trigger.threshold == nil { problem("trigger", "a `threshold` trigger needs `threshold`") }
            if let direction = trigger.direction, !["up", "down", "any"].contains(direction) {
                problem("trigger", "direction `\(direction)` is not `up`, `down` or `any`")
            }
            if let key = trigger.key { check(key, at: "trigger.key", in: scope) }
            if let value = trigger.value { check(value, at: "trigger.value", in: scope) }
        }
    }

    /// `outer`: paths of actions that finished before this scope began (edges may start there).
    private mutating func checkScope(_ graphScope: GraphScope, outer: Set<String>, in scope: FlowScope) {
        let local = Set(graphScope.actions.map(\.path))
        for edge in graphScope.edges {
            let at = "scope `\(graphScope.path)`"
            if !local.contains(edge.to) { problem(at, "edge to `\(edge.to)`, which is not an action of this scope") }
            if !local.contains(edge.from) && !outer.contains(edge.from) {
                problem(at, "edge from `\(edge.from)`, which is neither an action of this scope nor one finished before it")
            }
            if edge.from == edge.to { problem(at, "edge from `\(edge.from)` to itself") }
            if edge.on.isEmpty { problem(at, "edge from `\(edge.from)` to `\(edge.to)` is enabled by no status") }
            for status in edge.on where !GraphIO.statuses.contains(status) {
                problem(at, "edge from `\(edge.from)` to `\(edge.to)`: unknown status `\(status)`")
            }
        }
        if hasCycle(graphScope) { problem("scope `\(graphScope.path)`", "its edges form a cycle") }
        var finishedBefore = outer
        for action in graphScope.actions {
            let at = "action `\(action.path)`"
            if !paths.insert(action.path).inserted { problem(at, "the path is used twice") }
            if let id = action.id, id != action.path { problem(at, "the id `\(id)` differs from the path") }
            if !action.isControl, catalog.action(action.type) == nil { problem(at, "unknown action type `\(action.type)`") }
            if action.isControl, catalog.control(action.type) == nil { problem(at, "unknown control action type `\(action.type)`") }
            if action.retry.attempts < 1 { problem(at, "retry attempts must be at least 1") }
            if let condition = action.condition { check(condition, at: "\(at) if", in: scope, expecting: "bool") }
            for input in action.inputs { check(input.value, at: "\(at) \(input.name)", in: scope) }
            var inner = scope
            if action.type == "foreach" {
                if let valueType = action.valueType, (try? CatalogType.parse(valueType)) == nil {
                    problem(at, "the element type `\(valueType)` does not parse")
                }
                do { inner = try scope.loopScope(for: action) } catch { problem(at, "\(error)") }
            }
            if action.type == "set", let valueType = action.valueType, (try? CatalogType.parse(valueType)) == nil {
                problem(at, "the value type `\(valueType)` does not parse")
            }
            for nested in action.scopes {
                if !nested.path.hasPrefix(action.path + "/") {
                    problem(at, "nested scope `\(nested.path)` is not below `\(action.path)`")
                }
                checkScope(nested, outer: finishedBefore, in: inner)
            }
            finishedBefore.insert(action.path)
        }
    }

    private func hasCycle(_ scope: GraphScope) -> Bool {
        var successors: [String: [String]] = [:]
        for edge in scope.edges { successors[edge.from, default: []].append(edge.to) }
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        for start in scope.actions.map(\.path) where state[start] == nil {
            var stack: [(String, Int)] = [(start, 0)]
            state[start] = 1
            while let (node, next) = stack.last {
                let children = successors[node] ?? []
                if next < children.count {
                    stack[stack.count - 1].1 += 1
                    let child = children[next]
                    if state[child] == 1 { return true }
                    if state[child] == nil {
                        state[child] = 1
                        stack.append((child, 0))
                    }
                } else {
                    state[node] = 2
                    stack.removeLast()
                }
            }
        }
        return false
    }

    private mutating func check(_ value: GraphValue, at: String, in scope: FlowScope) {
        switch value {
        case .null, .bool, .int, .double, .string: break
        case .expression(let expression): check(expression, at: at, in: scope)
        case .template(let segments):
            for segment in segments {
                if case .expression(let expression) = segment { check(expression, at: at, in: scope) }
            }
        case .list(let items): for item in items { check(item, at: at, in: scope) }
        case .map(let entries): for entry in entries { check(entry.value, at: "\(at).\(entry.key)", in: scope) }
        }
    }

    private mutating func check(_ expression: GraphExpression, at: String, in scope: FlowScope, expecting: String? = nil) {
        let where_ = "\(at) (\(expression.span.file):\(expression.span.line):\(expression.span.column))"
        switch CatalogExpression.check(expression.source, in: scope) {
        case .failure(let failure):
            problem(where_, "`\(expression.source)` does not check: \(failure.message)")
        case .success(let type):
            let name = FlowTypeNames.celName(type)
            if name != expression.type {
                problem(where_, "`\(expression.source)` is of type `\(name)`, but the graph records `\(expression.type)`")
            }
            if let expecting, name != expecting, name != "dyn" {
                problem(where_, "`\(expression.source)` must be a `\(expecting)`, not `\(name)`")
            }
        }
    }
}

/// Values are written as objects with one key naming the case: `{"string": "POST"}`,
/// `{"int": 3}`, `{"expression": {...}}`, `{"template": [{"text": "a"}, {"expression": {...}}]}`,
/// `{"list": [...]}`, `{"map": [{"key": "k", "value": {...}}]}`, `{"null": true}`
/// (see `Grammar/graph.schema.json`).
extension GraphValue {
    private enum Key: String, CodingKey {
        case null, bool, int, double, string, expression, template, list, map
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a value is an object with exactly one of the keys null, bool, int, double, string, expression, template, list, map"))
        }
        switch key {
        case .null: self = .null
        case .bool: self = .bool(try container.decode(Bool.self, forKey: key))
        case .int: self = .int(try container.decode(Int64.self, forKey: key))
        case .double: self = .double(try container.decode(Double.self, forKey: key))
        case .string: self = .string(try container.decode(String.self, forKey: key))
        case .expression: self = .expression(try container.decode(GraphExpression.self, forKey: key))
        case .template: self = .template(try container.decode([TemplateSegment].self, forKey: key))
        case .list: self = .list(try container.decode([GraphValue].self, forKey: key))
        case .map: self = .map(try container.decode([GraphMapEntry].self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .null: try container.encode(true, forKey: .null)
        case .bool(let value): try container.encode(value, forKey: .bool)
        case .int(let value): try container.encode(value, forKey: .int)
        case .double(let value): try container.encode(value, forKey: .double)
        case .string(let value): try container.encode(value, forKey: .string)
        case .expression(let value): try container.encode(value, forKey: .expression)
        case .template(let value): try container.encode(value, forKey: .template)
        case .list(let value): try container.encode(value, forKey: .list)
        case .map(let value): try container.encode(value, forKey: .map)
        }
    }
}

extension GraphValue.TemplateSegment {
    private enum Key: String, CodingKey {
        case text, expression
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a template segment is an object with exactly one of the keys text, expression"))
        }
        switch key {
        case .text: self = .text(try container.decode(String.self, forKey: key))
        case .expression: self = .expression(try container.decode(GraphExpression.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .text(let text): try container.encode(text, forKey: .text)
        case .expression(let expression): try container.encode(expression, forKey: .expression)
        }
    }
}
