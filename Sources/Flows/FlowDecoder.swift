import Catalog
import Diagnostics
import YAML

/// Turns one YAML document into a ``Flow``, reporting every structural problem on the way.
/// It never stops at the first error: what can be read is read, so later passes and the
/// user see as much as possible at once. Everything a trigger, an action or a control
/// action accepts comes from the catalog; only the language's own keys (SPEC 2) are named here.
struct FlowDecoder {
    let catalog: Catalog
    let file: SourceFile
    private(set) var diagnostics: [Diagnostic] = []
    var nextActionIndex = 0
    /// Keys suggested for misspelled keys of the mapping read last: "missing `message`" next
    /// to "unknown key `mesage`; did you mean `message`?" would say the same thing twice.
    var suggestedKeys: Set<String> = []
    /// Retry policies the runtime implements (SPEC 5.5); the catalog types the keys.
    let backoffValues = ["fixed", "exponential"]
    let defaultStatuses = ["succeeded", "failed", "skipped", "timed_out"]

    init(catalog: Catalog, file: SourceFile) {
        self.catalog = catalog
        self.file = file
    }

    // MARK: - Diagnostics

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) {
        diagnostics.append(.error(code, message, at: span, label: label))
    }

    mutating func wrongKind(_ node: YAMLNode, expected: String, for what: String) {
        error(.flowWrongKind, "expected \(expected) for `\(what)`, found \(foundDescription(node))", at: node.span)
    }

    /// The span that stands for a whole mapping in "missing key" messages: its first key, so
    /// the caret sits on one line.
    func anchor(_ pairs: [YAMLPair], _ node: YAMLNode) -> SourceSpan {
        pairs.first?.key.span ?? node.span
    }

    // MARK: - Keys

    struct Entry {
        var name: String
        var pair: YAMLPair
    }

    /// The entries of a mapping whose keys are strings; unknown keys are reported with the
    /// nearest valid key and a fix-it.
    mutating func entries(of pairs: [YAMLPair], allowed: [String], context: String, checkUnknown: Bool = true) -> [Entry] {
        var result: [Entry] = []
        suggestedKeys = []
        for pair in pairs {
            guard let key = pair.key.scalar, !key.isNull else {
                error(.flowWrongKind, "expected a string key in \(context), found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            if allowed.contains(key.value) || !checkUnknown {
                result.append(Entry(name: key.value, pair: pair))
                continue
            }
            reportUnknownKey(key.value, at: pair.key.span, allowed: allowed, context: context)
        }
        return result
    }

    mutating func reportUnknownKey(_ name: String, at span: SourceSpan, allowed: [String], context: String) {
        if let suggestion = nearestName(to: name, in: allowed) {
            suggestedKeys.insert(suggestion)
            report(Diagnostic(
                .flowUnknownKey, .error, "unknown key `\(name)`; did you mean `\(suggestion)`?", at: span,
                label: "not a key of \(context)", fixIts: [FixIt(span: span, replacement: suggestion)]))
        } else {
            let listed = allowed.map { "`\($0)`" }.joined(separator: ", ")
            report(Diagnostic(.flowUnknownKey, .error, "unknown key `\(name)`", at: span, label: "not a key of \(context)")
                .with(note: allowed.isEmpty ? "\(context) takes no keys" : "valid keys: \(listed)"))
        }
    }

    /// The nearest candidate by edit distance, else the only one that starts with `name`
    /// (`warn` → `warning`).
    func nearestName(to name: String, in candidates: [String]) -> String? {
        if let closest = boundedClosest(to: name, in: candidates) { return closest }
        guard name.count >= 2 else { return nil }
        let extended = candidates.filter { $0.lowercased().hasPrefix(name.lowercased()) && $0 != name }
        return extended.count == 1 ? extended[0] : nil
    }

    mutating func requireKeys(_ required: [String], in entries: [Entry], anchor: SourceSpan, context: String) {
        for name in required where !entries.contains(where: { $0.name == name }) && !suggestedKeys.contains(name) {
            error(.flowMissingKey, "missing required key `\(name)` in \(context)", at: anchor)
        }
    }

    // MARK: - Flow

    mutating func decodeFlow(_ root: YAMLNode) -> Flow? {
        guard let pairs = root.mapping else {
            error(.flowDocumentNotMapping, "a flow document must be a mapping, found \(foundDescription(root))", at: root.span,
                  label: "expected keys such as `flow`, `trigger` and `actions`")
            return nil
        }
        nextActionIndex = 0
        let keys = catalog.flowKeys
        let entries = entries(of: pairs, allowed: keys.map(\.name), context: "a flow")
        var flow = Flow(
            name: nil, file: file.path, span: root.span, description: nil, enabled: true, concurrency: nil,
            trigger: nil, conditions: [], vars: [], actions: ActionList(actions: [], span: root.span), expressions: [], actionGraph: nil)
        let flowName = entries.first { $0.name == "flow" }?.pair.value.scalar?.value
        let context = flowName.map { "flow `\($0)`" } ?? "this flow"
        requireKeys(keys.filter(\.required).map(\.name), in: entries, anchor: anchor(pairs, root), context: context)
        for entry in entries {
            let value = entry.pair.value
            flow.keySpans[entry.name] = entry.pair.key.span
            guard let parameter = keys.first(where: { $0.name == entry.name }) else { continue }
            switch entry.name {
            case "flow":
                flow.name = decodeFlowName(value)
            case "description":
                flow.description = string(value, for: "description")
            case "enabled":
                flow.enabled = bool(value, for: "enabled") ?? true
            case "concurrency":
                if let text = string(value, for: "concurrency") {
                    if let values = parameter.values, !checkEnum(text, values: values, at: value.span, what: "concurrency") {
                        break
                    }
                    flow.concurrency = Located(text, at: value.span)
                }
            case "trigger":
                flow.trigger = decodeTrigger(value)
            case "conditions":
                flow.conditions = decodeConditions(value, parameter: parameter)
            case "vars":
                flow.vars = decodeVars(value)
            case "actions":
                flow.actions = decodeActionList(value, what: "actions", isFlowLevel: true)
            default:
                // A flow key the catalog adds later: read it by its kind so it is still checked.
                _ = self.value(value, for: parameter, what: entry.name)
            }
        }
        return flow
    }

    mutating func decodeFlowName(_ node: YAMLNode) -> Located<String>? {
        guard let name = string(node, for: "flow") else { return nil }
        if !FlowName.isValid(name) {
            var diagnostic = Diagnostic(
                .flowInvalidName, .error, "invalid flow name `\(name)`", at: node.span,
                label: "use lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit")
            if let repaired = FlowName.repaired(name), repaired != name {
                diagnostic = diagnostic.with(fixIt: repaired, at: node.span)
            }
            report(diagnostic)
        }
        return Located(name, at: node.span)
    }

    mutating func decodeConditions(_ node: YAMLNode, parameter: Parameter) -> [ExpressionSite] {
        let items: [YAMLNode]
        if let sequence = node.sequence {
            items = sequence
        } else if parameter.acceptsSingle, node.scalar != nil {
            items = [node]
        } else {
            wrongKind(node, expected: "a sequence of conditions", for: "conditions")
            return []
        }
        return items.compactMap { bareExpression($0, type: "bool", what: "conditions") }
    }

    mutating func decodeVars(_ node: YAMLNode) -> [FlowVariable] {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping of names to values", for: "vars")
            return []
        }
        var vars: [FlowVariable] = []
        for entry in entries(of: pairs, allowed: [], context: "vars", checkUnknown: false) {
            checkIdentifier(entry.name, at: entry.pair.key.span, what: "variable name")
            let value = read(entry.pair.value, ValueShape(type: .dyn, expressions: true), what: "vars.\(entry.name)")
            vars.append(FlowVariable(name: entry.name, keySpan: entry.pair.key.span, value: value))
        }
        return vars
    }

    // MARK: - Trigger

    mutating func decodeTrigger(_ node: YAMLNode) -> TriggerUse? {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping with a `type`", for: "trigger")
            return nil
        }
        var use = TriggerUse(type: nil, arguments: [], defaults: [:], span: node.span)
        let typeNode = node["type"]
        let trigger: Trigger?
        if let typeNode, let name = string(typeNode, for: "trigger.type") {
            use.type = Located(name, at: typeNode.span)
            trigger = catalog.trigger(name)
            if trigger == nil {
                reportUnknownName(
                    .flowUnknownTrigger, "unknown trigger `\(name)`", name, candidates: catalog.triggers.map(\.name), at: typeNode.span,
                    listing: "triggers")
            }
        } else {
            if typeNode == nil { error(.flowMissingKey, "missing required key `type` in `trigger`", at: anchor(pairs, node)) }
            trigger = nil
        }
        guard let trigger else {
            // Without a known trigger its parameters cannot be judged.
            return use
        }
        let parameters = trigger.parameters
        let context = "trigger `\(trigger.name)`"
        let entries = entries(of: pairs, allowed: ["type"] + parameters.map(\.name), context: context)
        requireKeys(parameters.filter(\.required).map(\.name), in: entries, anchor: use.type?.span ?? anchor(pairs, node), context: context)
        for entry in entries where entry.name != "type" {
            guard let parameter = parameters.first(where: { $0.name == entry.name }) else { continue }
            let value = value(entry.pair.value, for: parameter, what: "trigger.\(entry.name)")
            use.arguments.append(FlowArgument(name: entry.name, keySpan: entry.pair.key.span, value: value))
        }
        for parameter in parameters where use.argument(parameter.name) == nil {
            if let defaultValue = parameter.defaultValue { use.defaults[parameter.name] = defaultValue }
        }
        return use
    }

    mutating func reportUnknownName(
        _ code: DiagnosticCode, _ message: String, _ name: String, candidates: [String], at span: SourceSpan, listing: String
    ) {
        if let suggestion = nearestName(to: name, in: candidates) {
            report(Diagnostic(
                code, .error, message + "; did you mean `\(suggestion)`?", at: span, fixIts: [FixIt(span: span, replacement: suggestion)]))
        } else {
            report(Diagnostic(code, .error, message, at: span)
                .with(note: "known \(listing): " + candidates.map { "`\($0)`" }.joined(separator: ", ")))
        }
    }
}
