import Catalog
import Diagnostics
import Foundation
import YAML

/// Turns one YAML document into a ``Flow``, reporting every structural problem on the way.
/// It never stops at the first error: what can be read is read, so later passes and the
/// user see as much as possible at once. Everything a trigger, an action or a control
/// action accepts comes from the catalog; only the language's own keys (SPEC 2) are named here.
struct FlowDecoder {
    let catalog: Catalog
    let index: CatalogIndex
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
        self.init(catalog: catalog, index: CatalogIndex.of(catalog), file: file)
    }

    init(catalog: Catalog, index: CatalogIndex, file: SourceFile) {
        self.catalog = catalog
        self.index = index
        self.file = file
    }

    // MARK: - Diagnostics

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) {
        diagnostics.append(.error(code, message, at: span, label: label))
    }

    mutating func wrongKind(_ node: YAMLNode, expected: String, for what: @autoclosure () -> String) {
        error(.flowWrongKind, "expected \(expected) for `\(what())`, found \(foundDescription(node))", at: node.span)
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
        result.reserveCapacity(pairs.count)
        if !suggestedKeys.isEmpty { suggestedKeys = [] }
        for pair in pairs {
            guard let key = pair.key.scalar, !key.isNull else {
                error(.flowWrongKind, "expected a string key in \(context), found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            if !checkUnknown || allowed.contains(key.value) {
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

    mutating func requireKeys(_ required: [String], in entries: [Entry], anchor: SourceSpan, context: @autoclosure () -> String) {
        for name in required where !entries.contains(where: { $0.name == name }) && !suggestedKeys.contains(name) {
            error(.flowMissingKey, "missing required key `\(name)` in \(context())", at: anchor)
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
        let entries = entries(of: pairs, allowed: index.flowKeyNames, context: "a flow")
        var flow = Flow(
            name: nil, file: file.path, span: root.span, description: nil, enabled: true, concurrency: nil,
            trigger: nil, conditions: [], vars: [], actions: ActionList(actions: [], span: root.span), expressions: [], actionGraph: nil)
        let flowName = entries.first { $0.name == "flow" }?.pair.value.scalar?.value
        requireKeys(
            index.requiredFlowKeys, in: entries, anchor: anchor(pairs, root), context: flowName.map { "flow `\($0)`" } ?? "this flow")
        flow.writtenKeys.reserveCapacity(entries.count)
        for entry in entries {
            let value = entry.pair.value
            flow.writtenKeys.append(WrittenKey(name: entry.name, span: entry.pair.key.span))
            guard let parameter = index.flowKeyByName[entry.name] else { continue }
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
        let trigger: CatalogIndex.TriggerInfo?
        if let typeNode, let name = string(typeNode, for: "trigger.type") {
            use.type = Located(name, at: typeNode.span)
            trigger = index.triggers[name]
            if trigger == nil {
                reportUnknownName(
                    .flowUnknownTrigger, "unknown trigger `\(name)`", name, candidates: index.triggerNames, at: typeNode.span,
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
        let parameters = trigger.trigger.parameters
        let context = trigger.context
        let entries = entries(of: pairs, allowed: trigger.allowed, context: context)
        requireKeys(trigger.requiredParameters, in: entries, anchor: use.type?.span ?? anchor(pairs, node), context: context)
        use.arguments.reserveCapacity(entries.count)
        for entry in entries where entry.name != "type" {
            guard let parameter = trigger.parameterByName[entry.name] else { continue }
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

/// What the decoder asks the catalog for every action and trigger, computed once per catalog:
/// key lists, required keys and lookups by name. The catalog's own accessors scan arrays and
/// build new lists on each call, which showed up as the largest cost of linting.
final class CatalogIndex: Sendable {
    struct ActionInfo: Sendable {
        let action: Action
        let context: String
        let inputNames: [String]
        let requiredInputs: [String]
        let inputByName: [String: Parameter]
    }

    struct ControlInfo: Sendable {
        let control: Control
        let context: String
        /// The common action keys except `with`, then the control's own keys.
        let allowed: [String]
        let requiredKeys: [String]
        let keyByName: [String: Parameter]
        /// Names a control binds without writing them: `(key name, default)` of its `name` keys.
        let defaultBindings: [(key: String, name: String)]
    }

    struct TriggerInfo: Sendable {
        let trigger: Trigger
        let context: String
        let allowed: [String]
        let requiredParameters: [String]
        let parameterByName: [String: Parameter]
    }

    let flowKeyNames: [String]
    let requiredFlowKeys: [String]
    let flowKeyByName: [String: Parameter]
    let commonKeyNames: [String]
    let requiredCommonKeys: [String]
    let commonKeyByName: [String: Parameter]
    let retryKeys: [String]?
    let actions: [String: ActionInfo]
    let controls: [String: ControlInfo]
    let triggers: [String: TriggerInfo]
    let triggerNames: [String]
    let actionTypeNames: [String]
    /// Event types by name (the first of a name, as ``Catalog/event(_:)`` finds it).
    let eventsByType: [String: EventType]
    /// Record types shared by the scopes of flows checked against this catalog.
    let records = ScopeRecords()
    /// The parsed type of every parameter's type text, read once per value otherwise.
    private let parameterTypes: [String: CatalogType]

    private let source: Catalog

    private init(_ catalog: Catalog) {
        source = catalog
        flowKeyNames = catalog.flowKeys.map(\.name)
        requiredFlowKeys = catalog.flowKeys.filter(\.required).map(\.name)
        flowKeyByName = Self.firstByName(catalog.flowKeys)
        let common = catalog.actionKeys
        commonKeyNames = common.map(\.name)
        requiredCommonKeys = common.filter(\.required).map(\.name)
        commonKeyByName = Self.firstByName(common)
        if let retry = common.first(where: { $0.name == "retry" }), let type = try? CatalogType.parse(retry.type),
           case .record(let fields) = type {
            retryKeys = fields.map(\.name)
        } else {
            retryKeys = nil
        }
        var actions: [String: ActionInfo] = [:]
        for action in catalog.actions where actions[action.name] == nil {
            actions[action.name] = ActionInfo(
                action: action, context: "\(FlowDecoder.article(action.name)) `\(action.name)` action",
                inputNames: action.inputs.map(\.name), requiredInputs: action.inputs.filter(\.required).map(\.name),
                inputByName: Self.firstByName(action.inputs))
        }
        self.actions = actions
        let commonWithoutWith = common.map(\.name).filter { $0 != "with" }
        var controls: [String: ControlInfo] = [:]
        for control in catalog.controls where controls[control.name] == nil {
            controls[control.name] = ControlInfo(
                control: control, context: "\(FlowDecoder.article(control.name)) `\(control.name)` action",
                allowed: commonWithoutWith + control.keys.map(\.name), requiredKeys: control.keys.filter(\.required).map(\.name),
                keyByName: Self.firstByName(control.keys),
                defaultBindings: control.keys.compactMap { key in
                    guard key.kind == "name", let name = key.defaultValue else { return nil }
                    return (key.name, name)
                })
        }
        self.controls = controls
        var triggers: [String: TriggerInfo] = [:]
        for trigger in catalog.triggers where triggers[trigger.name] == nil {
            triggers[trigger.name] = TriggerInfo(
                trigger: trigger, context: "trigger `\(trigger.name)`", allowed: ["type"] + trigger.parameters.map(\.name),
                requiredParameters: trigger.parameters.filter(\.required).map(\.name),
                parameterByName: Self.firstByName(trigger.parameters))
        }
        self.triggers = triggers
        triggerNames = catalog.triggers.map(\.name)
        actionTypeNames = catalog.actionTypeNames
        var types: [String: CatalogType] = [:]
        let parameters = catalog.flowKeys + catalog.actionKeys + catalog.actions.flatMap(\.inputs)
            + catalog.controls.flatMap(\.keys) + catalog.triggers.flatMap(\.parameters)
        for parameter in parameters where types[parameter.type] == nil {
            types[parameter.type] = (try? CatalogType.parse(parameter.type)) ?? .dyn
        }
        parameterTypes = types
        var events: [String: EventType] = [:]
        for event in catalog.events where events[event.type] == nil { events[event.type] = event }
        eventsByType = events
    }

    /// The type a parameter's text spells; `dyn` when it does not parse.
    func type(of parameter: Parameter) -> CatalogType {
        if let known = parameterTypes[parameter.type] { return known }
        return (try? CatalogType.parse(parameter.type)) ?? .dyn
    }

    private static func firstByName(_ parameters: [Parameter]) -> [String: Parameter] {
        var result: [String: Parameter] = [:]
        for parameter in parameters where result[parameter.name] == nil { result[parameter.name] = parameter }
        return result
    }

    private func isIndex(of catalog: Catalog) -> Bool {
        // Arrays compare by identity first, so a copy of the same catalog is recognised at once.
        source.flowKeys == catalog.flowKeys && source.actionKeys == catalog.actionKeys && source.actions == catalog.actions
            && source.controls == catalog.controls && source.triggers == catalog.triggers
            && source.events == catalog.events && source.envelope == catalog.envelope
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var latest: CatalogIndex?

    /// The index of `catalog`, reused while the same catalog is checked file after file.
    static func of(_ catalog: Catalog) -> CatalogIndex {
        lock.lock()
        defer { lock.unlock() }
        if let latest, latest.isIndex(of: catalog) { return latest }
        let index = CatalogIndex(catalog)
        latest = index
        return index
    }
}
