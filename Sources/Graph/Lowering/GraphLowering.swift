import CEL
import Catalog
import Diagnostics
import Flows
import Foundation

/// Lowers checked flows to the compiled graph (SPEC 7). Catalog triggers become `match` or
/// `threshold` nodes from the catalog's `lowering` data; actions become nodes with their
/// inputs, defaults applied, and their sequence and `run_after` dependencies become edges.
public enum GraphLowering {
    /// The graph of every flow of a check result. Call it only when `result` has no errors:
    /// flows with errors are lowered as far as they go, which makes no runnable graph.
    public static func lower(_ result: FlowCheckResult, catalog: Catalog = .standard, compiler: String) -> FlowGraph {
        FlowGraph(compiler: compiler, flows: result.flows.map { lower($0, catalog: catalog) })
    }

    /// One flow; it types the flow again to record the checked types.
    public static func lower(_ flow: Flow, catalog: Catalog = .standard) -> GraphFlow {
        var lowering = FlowLowering(flow: flow, catalog: catalog, typing: FlowTyper.type(flow, catalog: catalog))
        return lowering.lower()
    }
}

struct FlowLowering {
    let flow: Flow
    let catalog: Catalog
    let typing: FlowTyping

    mutating func lower() -> GraphFlow {
        let vars = zip(flow.vars, typing.varTypes).map { variable, typed in
            GraphVariable(name: variable.name, type: FlowTypeNames.catalogName(typed.type), value: value(variable.value, type: nil))
        }
        return GraphFlow(
            name: flow.name?.value ?? "", file: flow.file, enabled: flow.enabled, concurrency: flow.effectiveConcurrency,
            trigger: trigger(), conditions: flow.conditions.compactMap(expression), vars: vars,
            actions: scope(flow.actions, path: "actions", label: nil))
    }

    // MARK: - Trigger

    private func trigger() -> GraphTrigger {
        let use = flow.trigger
        let name = use?.type?.value ?? ""
        let span = GraphSpan(use?.type?.span ?? use?.span ?? flow.span)
        guard let use, let catalogTrigger = catalog.trigger(name) else {
            return GraphTrigger(kind: .match, catalogName: name, eventTypes: [], eventType: nil, parameters: [], filter: nil, span: span)
        }
        let lowering = catalogTrigger.lowering
        var parameters: [GraphParameter] = []
        var filter: GraphExpression?
        for parameter in catalogTrigger.parameters {
            let type = (try? CatalogType.parse(parameter.type)) ?? .dyn
            if parameter.kind == "expression" {
                if parameter.name == lowering.filterParameter, case .expression(let site)? = use.argument(parameter.name)?.value {
                    filter = expression(site)
                }
                continue
            }
            if let argument = use.argument(parameter.name) {
                parameters.append(GraphParameter(name: parameter.name, type: parameter.type, value: value(argument.value, type: type, single: parameter.acceptsSingle)))
            } else if let text = use.defaults[parameter.name] ?? parameter.defaultValue {
                parameters.append(GraphParameter(name: parameter.name, type: parameter.type, value: Self.defaultValue(text, type: type)))
            }
        }
        let catalogSpan = span
        func catalogExpression(_ source: String?, what: String) -> GraphExpression? {
            guard let source else { return nil }
            let type: String
            switch CatalogExpression.check(source, in: typing.scope) {
            case .success(let checked): type = FlowTypeNames.celName(checked)
            case .failure: type = "dyn"
            }
            return GraphExpression(source: source, type: type, span: catalogSpan)
        }
        if let source = lowering.filter { filter = catalogExpression(source, what: "filter") }
        var eventTypes: [String] = []
        if let event = catalogTrigger.event {
            eventTypes = [event]
        } else if let parameterName = lowering.eventTypeParameter, case .string(let pattern)? = parameters.first(where: { $0.name == parameterName })?.value {
            eventTypes = [pattern]
        }
        let eventType = typing.scope.eventTypeName
        guard lowering.kind == "threshold" else {
            return GraphTrigger(kind: .match, catalogName: name, eventTypes: eventTypes, eventType: eventType, parameters: parameters, filter: filter, span: span)
        }
        var threshold: Double?
        var direction: String?
        for parameter in parameters {
            switch (parameter.name, parameter.value) {
            case ("threshold", .double(let number)): threshold = number
            case ("threshold", .int(let number)): threshold = Double(number)
            case ("direction", .string(let text)): direction = text
            default: break
            }
        }
        return GraphTrigger(
            kind: .threshold, catalogName: name, eventTypes: eventTypes, eventType: eventType, parameters: parameters, filter: filter,
            key: catalogExpression(lowering.key, what: "key"), value: catalogExpression(lowering.value, what: "value"),
            threshold: threshold, direction: direction ?? "up", span: span)
    }

    /// A catalog default: JSON for lists (`["*"]`), else a plain YAML-like scalar.
    static func defaultValue(_ text: String, type: CatalogType) -> GraphValue {
        if case .list = type, let data = text.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any] {
            return .list(array.map { item in
                switch item {
                case let string as String: return .string(string)
                case let number as NSNumber: return number.doubleValue == number.doubleValue.rounded() ? .int(number.int64Value) : .double(number.doubleValue)
                default: return .null
                }
            })
        }
        return literal(FlowLiteral(plainText: text, as: type))
    }

    // MARK: - Values

    static func literal(_ literal: FlowLiteral) -> GraphValue {
        switch literal {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        }
    }

    /// A value, literals read as `type` says (`threshold: 10000` is a double); with `single`,
    /// one value where a list is expected becomes a list of one.
    private func value(_ value: FlowValue, type: CatalogType?, single: Bool = false) -> GraphValue {
        switch value {
        case .null:
            return .null
        case .literal(let scalar, _):
            if single, case .list(let element)? = type {
                return .list([Self.literal(FlowLiteral(scalar, as: element))])
            }
            return Self.literal(FlowLiteral(scalar, as: type))
        case .expression(let site):
            if site.role == .template {
                var segments: [GraphValue.TemplateSegment] = []
                for (index, part) in site.parts.enumerated() {
                    if part.isExpression {
                        segments.append(.expression(GraphExpression(
                            source: part.trimmedText, type: typeName(site, part: index), span: GraphSpan(site.trimmedSpan(of: part)))))
                    } else {
                        segments.append(.text(part.text))
                    }
                }
                return .template(segments)
            }
            guard let lowered = expression(site) else { return .null }
            // An int or a timestamp where the catalog wants text is formatted, as in a template.
            if site.expectedType == "string", lowered.type != "string", lowered.type != "dyn" {
                return .template([.expression(lowered)])
            }
            return .expression(lowered)
        case .list(let items, _):
            var element: CatalogType?
            if case .list(let inner)? = type { element = inner }
            return .list(items.map { self.value($0, type: element) })
        case .map(let entries, _):
            var fieldTypes: [String: CatalogType] = [:]
            var valueType: CatalogType?
            switch type {
            case .map(_, let inner)?: valueType = inner
            case .record(let fields)?: for field in fields { fieldTypes[field.name] = field.type }
            default: break
            }
            return .map(entries.map { GraphMapEntry(key: $0.key.value, value: self.value($0.value, type: fieldTypes[$0.key.value] ?? valueType)) })
        }
    }

    private func typeName(_ site: ExpressionSite, part: Int) -> String {
        typing.type(of: site, part: part).map(FlowTypeNames.celName) ?? "dyn"
    }

    /// The one expression of a bare or whole-value site.
    private func expression(_ site: ExpressionSite) -> GraphExpression? {
        guard let index = site.parts.firstIndex(where: \.isExpression) else { return nil }
        let part = site.parts[index]
        return GraphExpression(source: part.trimmedText, type: typeName(site, part: index), span: GraphSpan(site.trimmedSpan(of: part)))
    }


    // MARK: - Actions

    private func scope(_ list: ActionList, path: String, label: String?) -> GraphScope {
        var actions: [GraphAction] = []
        var edges: [GraphEdge] = []
        var pathByIndex: [Int: String] = [:]
        for (position, action) in list.actions.enumerated() {
            let actionPath = action.id?.value ?? "\(path)/\(position)"
            pathByIndex[action.index] = actionPath
            if let runAfter = action.runAfter {
                for entry in runAfter.entries {
                    edges.append(GraphEdge(
                        from: targetPath(entry.target.value), to: actionPath, on: entry.statuses.map(\.value), implicit: false))
                }
            } else if position > 0 {
                let previous = list.actions[position - 1]
                edges.append(GraphEdge(
                    from: previous.id?.value ?? "\(path)/\(position - 1)", to: actionPath, on: ["succeeded"], implicit: true))
            }
            actions.append(lower(action, path: actionPath))
        }
        return GraphScope(path: path, label: label, actions: actions, edges: edges)
    }

    /// `run_after` names actions by id; every action it may name has one.
    private func targetPath(_ id: String) -> String { id }

    private func lower(_ action: FlowAction, path: String) -> GraphAction {
        let typeName = action.type?.value ?? ""
        var inputs: [GraphInput] = []
        var scopes: [GraphScope] = []
        var isControl = false
        var valueType: String?
        switch action.kind {
        case .action(let name):
            let catalogAction = catalog.action(name)
            for input in action.inputs {
                let parameter = catalogAction?.inputs.first { $0.name == input.name }
                let type = parameter.flatMap { try? CatalogType.parse($0.type) }
                inputs.append(GraphInput(name: input.name, value: value(input.value, type: type, single: parameter?.acceptsSingle ?? false)))
            }
            for parameter in catalogAction?.inputs ?? [] where action.input(parameter.name) == nil {
                guard let text = parameter.defaultValue else { continue }
                inputs.append(GraphInput(name: parameter.name, value: Self.defaultValue(text, type: (try? CatalogType.parse(parameter.type)) ?? .dyn)))
            }
            if name == "set", case .literal(let scalar, _)? = action.input("var")?.value,
               let declared = typing.varTypes.first(where: { $0.name == scalar.value }) {
                valueType = FlowTypeNames.catalogName(declared.type)
            }
        case .control(let name):
            isControl = true
            let control = catalog.control(name)
            for key in action.controlKeys {
                let parameter = control?.keys.first { $0.name == key.name }
                let type = parameter.flatMap { try? CatalogType.parse($0.type) }
                switch key.value {
                case .expression(let site):
                    if let lowered = expression(site) { inputs.append(GraphInput(name: key.name, value: .expression(lowered))) }
                case .value(let written):
                    inputs.append(GraphInput(name: key.name, value: value(written, type: type)))
                case .name(let written):
                    inputs.append(GraphInput(name: key.name, value: .string(written.value)))
                case .actions(let list):
                    scopes.append(scope(list, path: "\(path)/\(key.name)", label: nil))
                case .cases(let cases):
                    for switchCase in cases {
                        scopes.append(scope(switchCase.actions, path: "\(path)/\(key.name)/\(switchCase.value.value)", label: switchCase.value.value))
                    }
                case .branches(let lists):
                    for (offset, list) in lists.enumerated() {
                        scopes.append(scope(list, path: "\(path)/\(key.name)/\(offset)", label: "\(offset)"))
                    }
                }
            }
            for parameter in control?.keys ?? [] where action.controlKey(parameter.name) == nil {
                guard let text = parameter.defaultValue else { continue }
                inputs.append(GraphInput(name: parameter.name, value: Self.defaultValue(text, type: (try? CatalogType.parse(parameter.type)) ?? .dyn)))
            }
            if name == "foreach" {
                valueType = FlowTypeNames.catalogName(typing.elementTypes[action.index] ?? .dyn)
            }
        case .unknown:
            break
        }
        return GraphAction(
            path: path, id: action.id?.value, type: typeName, isControl: isControl, description: action.description,
            condition: action.condition.flatMap(expression), inputs: inputs, scopes: scopes,
            retry: retry(action), timeoutMilliseconds: timeout(action), valueType: valueType, span: GraphSpan(action.span))
    }

    private func retry(_ action: FlowAction) -> GraphRetry {
        var result = GraphRetry.once
        if case .action(let name) = action.kind, let policy = catalog.action(name)?.retry {
            result = GraphRetry(
                attempts: policy.attempts, backoff: policy.backoff,
                delayMilliseconds: Self.milliseconds(policy.delay) ?? 0, maxDelayMilliseconds: Self.milliseconds(policy.maxDelay) ?? 0)
        }
        guard let written = action.retry else { return result }
        if let attempts = written.attempts?.value { result.attempts = attempts }
        if let backoff = written.backoff?.value { result.backoff = backoff }
        if let delay = written.delay?.value { result.delayMilliseconds = delay.milliseconds }
        if let maxDelay = written.maxDelay?.value { result.maxDelayMilliseconds = maxDelay.milliseconds }
        return result
    }

    private func timeout(_ action: FlowAction) -> Int64? {
        if let written = action.timeout?.value { return written.milliseconds }
        if case .action(let name) = action.kind, let text = catalog.action(name)?.timeout { return Self.milliseconds(text) }
        return nil
    }

    static func milliseconds(_ text: String) -> Int64? {
        if case .success(let duration) = FlowDuration.parse(text) { return duration.milliseconds }
        return nil
    }
}

