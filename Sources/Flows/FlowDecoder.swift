import Catalog
import Diagnostics
import Foundation
import YAML

/// Turns one YAML document into a ``Flow``, reporting every structural problem on the way.
/// It never stops at the first error: what can be read is read, so later passes and the
/// user see as much as possible at once. Everything a trigger, an action or a control
/// action accepts comes from the catalog; only the language's own keys (SPEC 2) are named here.
///
/// Every key of every mapping passes through here, so the common case (valid keys, no
/// diagnostic) builds nothing it does not keep: keys are read straight from the YAML pairs
/// rather than collected into lists, looked up by scanning the catalog's short key lists
/// rather than hashing, and messages are only put together when they are reported.
struct FlowDecoder {
    let catalog: Catalog
    let index: CatalogIndex
    let file: SourceFile
    private(set) var diagnostics: [Diagnostic] = []
    var nextActionIndex = 0
    /// Keys suggested for misspelled keys of the mapping read last: "missing `message`" next
    /// to "unknown key `mesage`; did you mean `message`?" would say the same thing twice.
    /// Nearly always empty, so a list: a set would hash for nothing.
    var suggestedKeys: [String] = []
    /// Retry policies the runtime implements (SPEC 5.5); the catalog types the keys.
    static let backoffValues = ["fixed", "exponential"]
    static let defaultStatuses = ["succeeded", "failed", "skipped", "timed_out"]

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
    static func anchor(_ pairs: YAMLMapping, _ node: YAMLNode) -> SourceSpan {
        pairs.first?.key.span ?? node.span
    }

    // MARK: - Keys

    /// Which names of a key list a mapping's keys name: bit `p` stands for `allowed[p]`. Kept
    /// while checking the keys, so that required keys are found without another pass over
    /// the pairs (each look at a pair's key copies and releases it). Lists longer than 64
    /// names are not tracked; ``requireKeys(_:present:in:allowed:checkUnknown:anchor:context:)``
    /// then looks at the pairs.
    struct PresentKeys {
        private var bits: UInt64 = 0

        static let tracked = 64

        func contains(_ position: Int) -> Bool {
            position < Self.tracked && bits & (1 << UInt64(position)) != 0
        }

        mutating func insert(_ position: Int) {
            if position < Self.tracked { bits |= 1 << UInt64(position) }
        }
    }

    /// Reports each key of a mapping that is not a string, and with `checkUnknown` each key
    /// not in `allowed` (but `reportedKey`, which the caller reported itself), with the
    /// nearest valid key and a fix-it. Callers then read the keys that passed
    /// (``acceptedKey(_:allowed:checkUnknown:)``) from the pairs themselves.
    @discardableResult
    mutating func checkKeys(
        _ pairs: YAMLMapping, allowed: [String], context: @autoclosure () -> String, checkUnknown: Bool = true,
        passingOver reportedKey: String? = nil
    ) -> PresentKeys {
        if !suggestedKeys.isEmpty { suggestedKeys = [] }
        var present = PresentKeys()
        for pair in pairs {
            guard let key = pair.keyText else {
                error(.flowWrongKind, "expected a string key in \(context()), found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            if let reportedKey, key == reportedKey { continue }
            if let position = keyPosition(key, in: allowed) {
                present.insert(position)
            } else if checkUnknown {
                reportUnknownKey(key, at: pair.key.span, allowed: allowed, context: context())
            }
        }
        return present
    }

    /// The name of a key that ``checkKeys(_:allowed:context:checkUnknown:)`` let pass, nil
    /// for one it reported.
    func acceptedKey(_ pair: YAMLPair, allowed: [String], checkUnknown: Bool = true) -> String? {
        guard let key = pair.keyText else { return nil }
        if checkUnknown, keyPosition(key, in: allowed) == nil { return nil }
        return key
    }

    mutating func reportUnknownKey(_ name: String, at span: SourceSpan, allowed: [String], context: String) {
        if let suggestion = nearestName(to: name, in: allowed) {
            if !suggestedKeys.contains(suggestion) { suggestedKeys.append(suggestion) }
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

    /// Reports each of `required` that no accepted key of `pairs` names (unless a misspelled
    /// key was already pointed at it); `present` is what ``checkKeys(_:allowed:context:checkUnknown:)``
    /// found in the same pairs.
    mutating func requireKeys(
        _ required: [String], present: PresentKeys, in pairs: YAMLMapping, allowed: [String], checkUnknown: Bool = true,
        anchor: @autoclosure () -> SourceSpan, context: @autoclosure () -> String
    ) {
        for name in required where suggestedKeys.isEmpty || !suggestedKeys.contains(name) {
            if let position = keyPosition(name, in: allowed) {
                if position < PresentKeys.tracked ? present.contains(position) : hasKey(name, in: pairs) { continue }
            } else if !checkUnknown, hasKey(name, in: pairs) {
                continue
            }
            error(.flowMissingKey, "missing required key `\(name)` in \(context())", at: anchor())
        }
    }

    /// Whether a string key of `pairs` is `name`.
    func hasKey(_ name: String, in pairs: YAMLMapping) -> Bool {
        for pair in pairs {
            if let key = pair.keyText, sameText(key, name) { return true }
        }
        return false
    }

    func pair(_ name: String, in pairs: YAMLMapping) -> YAMLPair? { Self.pair(name, in: pairs) }

    /// The pair whose string key is `name` (the first, should the reader have kept two).
    static func pair(_ name: String, in pairs: YAMLMapping) -> YAMLPair? {
        pairs.pair(named: name)
    }

    // MARK: - Flow

    mutating func decodeFlow(_ root: YAMLNode) -> Flow? {
        guard let pairs = root.mapping else {
            error(.flowDocumentNotMapping, "a flow document must be a mapping, found \(foundDescription(root))", at: root.span,
                  label: "expected keys such as `flow`, `trigger` and `actions`")
            return nil
        }
        nextActionIndex = 0
        let keys = index.flowKeys
        let present = checkKeys(pairs, allowed: keys.names, context: "a flow")
        // Fields are written straight into the flow's storage, as for actions (see
        // ``decodeAction(_:into:)``).
        let flow = Flow.Storage(file: file.path, span: root.span)
        if !keys.required.isEmpty {
            requireKeys(
                keys.required, present: present, in: pairs, allowed: keys.names, anchor: Self.anchor(pairs, root),
                context: Self.flowDescription(pairs))
        }
        var writtenKeys: [WrittenKey] = []
        writtenKeys.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.keyText, let position = keyPosition(name, in: keys.names) else { continue }
            let value = pair.value
            writtenKeys.append(WrittenKey(name: name, span: pair.key.span))
            let spec = keys.specs[position]
            switch index.flowKeyRoles[position] {
            case .flow:
                flow.name = decodeFlowName(value)
            case .description:
                flow.description = string(value, for: "description")
            case .enabled:
                flow.enabled = bool(value, for: "enabled") ?? true
            case .concurrency:
                if let text = string(value, for: "concurrency") {
                    if let values = spec.values, !checkEnum(text, values: values, at: value.span, what: "concurrency") {
                        break
                    }
                    flow.concurrency = Located(text, at: value.span)
                }
            case .trigger:
                flow.trigger = decodeTrigger(value)
            case .conditions:
                flow.conditions = decodeConditions(value, spec: spec)
            case .vars:
                flow.vars = decodeVars(value)
            case .actions:
                flow.actions = decodeActionList(value, what: "actions", isFlowLevel: true)
            case .other:
                // A flow key the catalog adds later: read it by its kind so it is still checked.
                _ = self.value(value, for: spec, what: name)
            }
        }
        flow.writtenKeys = writtenKeys
        return Flow(storage: flow)
    }

    /// "flow `NAME`" when the flow names itself, for messages about the whole flow.
    private static func flowDescription(_ pairs: YAMLMapping) -> String {
        guard let name = Self.pair("flow", in: pairs)?.value.scalarText else { return "this flow" }
        return "flow `\(name)`"
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

    mutating func decodeConditions(_ node: YAMLNode, spec: KeySpec) -> [ExpressionSite] {
        var sites: [ExpressionSite] = []
        if let items = node.sequence {
            sites.reserveCapacity(items.count)
            for item in items {
                if let site = bareExpression(item, type: "bool", what: "conditions") { sites.append(site) }
            }
        } else if node.isScalar, spec.acceptsSingle {
            if let site = bareExpression(node, type: "bool", what: "conditions") { sites.append(site) }
        } else {
            wrongKind(node, expected: "a sequence of conditions", for: "conditions")
        }
        return sites
    }

    mutating func decodeVars(_ node: YAMLNode) -> [FlowVariable] {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping of names to values", for: "vars")
            return []
        }
        checkKeys(pairs, allowed: [], context: "vars", checkUnknown: false)
        var vars: [FlowVariable] = []
        vars.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = acceptedKey(pair, allowed: [], checkUnknown: false) else { continue }
            let keySpan = pair.key.span
            checkIdentifier(name, at: keySpan, what: "variable name")
            let value = read(pair.value, ValueShape(type: .dyn, expressions: true), what: "vars.\(name)")
            vars.append(FlowVariable(name: name, keySpan: keySpan, value: value))
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
        let typeNode = pair("type", in: pairs)?.value
        let trigger: CatalogIndex.TriggerInfo?
        if let typeNode, let name = string(typeNode, for: "trigger.type") {
            use.type = Located(name, at: typeNode.span)
            trigger = index.trigger(named: name)
            if trigger == nil {
                reportUnknownName(
                    .flowUnknownTrigger, "unknown trigger `\(name)`", name, candidates: index.triggerNames, at: typeNode.span,
                    listing: "triggers")
            }
        } else {
            if typeNode == nil { error(.flowMissingKey, "missing required key `type` in `trigger`", at: Self.anchor(pairs, node)) }
            trigger = nil
        }
        guard let trigger else {
            // Without a known trigger its parameters cannot be judged.
            return use
        }
        let allowed = trigger.allowed
        let present = checkKeys(pairs, allowed: allowed, context: trigger.context)
        requireKeys(
            trigger.parameters.required, present: present, in: pairs, allowed: allowed, anchor: use.type?.span ?? Self.anchor(pairs, node),
            context: trigger.context)
        use.arguments.reserveCapacity(pairs.count)
        let parameters = trigger.parameters
        for pair in pairs {
            // `allowed` is `type`, then the parameters: position `p` of a parameter there is
            // position `p - 1` in its table, found with one scan rather than three.
            guard let name = pair.keyText, let position = keyPosition(name, in: allowed), position > 0,
                  position - 1 < parameters.specs.count else { continue }
            let spec = parameters.specs[position - 1]
            let value = value(pair.value, for: spec, what: "trigger.\(name)")
            use.arguments.append(FlowArgument(name: name, keySpan: pair.key.span, value: value))
        }
        for (name, defaultValue) in trigger.defaults where use.argument(name) == nil {
            use.defaults[name] = defaultValue
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

/// Whether `name` is one of `names`, and where. Key lists have a handful of short names and
/// keys are mostly small strings, so comparing lengths first rules out nearly every other
/// name at once; this scan measured cheaper than hashing the key for a set or a dictionary.
@inline(__always)
func keyPosition(_ name: String, in names: [String]) -> Int? {
    let count = name.utf8.count
    for position in names.indices where names[position].utf8.count == count && names[position] == name {
        return position
    }
    return nil
}

/// String equality with the cheap length test first (see ``keyPosition(_:in:)``). (Testing
/// the first bytes too measured slower: `utf8.first` is a call.)
@inline(__always)
func sameText(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.count == rhs.utf8.count && lhs == rhs
}

/// A catalog parameter with what reading its values needs, worked out once per catalog: a
/// class, so that handing it around costs one reference rather than copying the parameter's
/// many strings.
final class KeySpec: Sendable {
    /// How the value is written (`Parameter.kind`), for the kinds the decoder tells apart.
    enum Kind: Sendable {
        case literal, expression, name, actions, cases, branches
        /// `template` and the kinds read by name (`trigger`, `inputs`, `statuses`, ...).
        case other
    }

    let parameter: Parameter
    let kind: Kind
    let type: CatalogType

    var name: String { parameter.name }
    var values: [String]? { parameter.values }
    var acceptsSingle: Bool { parameter.acceptsSingle }

    init(_ parameter: Parameter, type: CatalogType) {
        self.parameter = parameter
        self.type = type
        switch parameter.kind {
        case "literal": kind = .literal
        case "expression": kind = .expression
        case "name": kind = .name
        case "actions": kind = .actions
        case "cases": kind = .cases
        case "branches": kind = .branches
        default: kind = .other
        }
    }
}

/// The keys of one kind of mapping: their names in catalog order and, by position, their
/// specs. A name written twice in the catalog keeps its first spec.
struct KeyTable: Sendable {
    let names: [String]
    let specs: [KeySpec]
    let required: [String]

    init(_ parameters: [Parameter], type: (Parameter) -> CatalogType) {
        names = parameters.map(\.name)
        var specs: [KeySpec] = []
        specs.reserveCapacity(parameters.count)
        for parameter in parameters {
            if let first = keyPosition(parameter.name, in: names), first < specs.count {
                specs.append(specs[first])
            } else {
                specs.append(KeySpec(parameter, type: type(parameter)))
            }
        }
        self.specs = specs
        required = parameters.filter(\.required).map(\.name)
    }

    func spec(named name: String) -> KeySpec? {
        keyPosition(name, in: names).map { specs[$0] }
    }
}

/// What the decoder asks the catalog for every action and trigger, computed once per catalog:
/// key lists, required keys and lookups by name. The catalog's own accessors scan arrays and
/// build new lists on each call, which showed up as the largest cost of linting.
final class CatalogIndex: Sendable {
    /// Classes, so that finding one costs a reference, not a copy of the catalog entry.
    final class ActionInfo: Sendable {
        let action: Action
        let context: String
        /// "the inputs of `http`" and "`with` of `http`", for messages about `with`.
        let inputsContext: String
        let withContext: String
        let inputs: KeyTable

        init(action: Action, context: String, inputs: KeyTable) {
            self.action = action
            self.context = context
            inputsContext = "the inputs of `\(action.name)`"
            withContext = "`with` of `\(action.name)`"
            self.inputs = inputs
        }
    }

    final class ControlInfo: Sendable {
        let control: Control
        let context: String
        /// The common action keys except `with`, then the control's own keys.
        let allowed: [String]
        let keys: KeyTable
        /// Names a control binds without writing them: `(key name, default)` of its `name` keys.
        let defaultBindings: [(key: String, name: String)]

        init(control: Control, context: String, allowed: [String], keys: KeyTable, defaultBindings: [(key: String, name: String)]) {
            self.control = control
            self.context = context
            self.allowed = allowed
            self.keys = keys
            self.defaultBindings = defaultBindings
        }
    }

    final class TriggerInfo: Sendable {
        let trigger: Trigger
        let context: String
        /// `type`, then the parameters.
        let allowed: [String]
        let parameters: KeyTable
        /// `(name, default)` of the parameters that have a default, in catalog order.
        let defaults: [(name: String, value: String)]

        init(trigger: Trigger, context: String, allowed: [String], parameters: KeyTable) {
            self.trigger = trigger
            self.context = context
            self.allowed = allowed
            self.parameters = parameters
            defaults = trigger.parameters.compactMap { parameter in parameter.defaultValue.map { (parameter.name, $0) } }
        }
    }

    /// The language's own action keys, which the decoder reads itself.
    enum CommonKey: Sendable {
        case id, type, description, with, condition, runAfter, retry, timeout
        /// A key the catalog adds later: read by its kind.
        case other
    }

    static func commonKey(named name: String) -> CommonKey {
        switch name {
        case "id": return .id
        case "type": return .type
        case "description": return .description
        case "with": return .with
        case "if": return .condition
        case "run_after": return .runAfter
        case "retry": return .retry
        case "timeout": return .timeout
        default: return .other
        }
    }

    /// The keys of `retry` the decoder reads.
    enum RetryKey: Sendable {
        case attempts, backoff, delay, maxDelay
        /// A field the catalog adds later: accepted and not read.
        case other
    }

    /// An action type by name: an action of the catalog or a control action.
    enum ActionType {
        case action(ActionInfo)
        case control(ControlInfo)
    }

    /// The language's own flow keys, which the decoder reads itself.
    enum FlowKey: Sendable {
        case flow, description, enabled, concurrency, trigger, conditions, vars, actions
        /// A key the catalog adds later: read by its kind.
        case other
    }

    let flowKeys: KeyTable
    /// What each of ``flowKeys`` is, by position.
    let flowKeyRoles: [FlowKey]
    let commonKeys: KeyTable
    /// What each of ``commonKeys`` is, by position.
    let commonKeyRoles: [CommonKey]
    /// The keys of `retry`: its catalog type's fields, else the runtime's.
    let retryKeys: [String]
    /// What each of ``retryKeys`` is, by position: a switch over the key's text compared it
    /// with each name in turn (measured: a tenth of reading a `retry`).
    let retryKeyRoles: [RetryKey]
    /// The statuses `run_after` accepts: its catalog values, else the runtime's.
    let runAfterStatuses: [String]
    let actions: [String: ActionInfo]
    let controls: [String: ControlInfo]
    let triggers: [String: TriggerInfo]
    let triggerNames: [String]
    let actionTypeNames: [String]
    /// Action types in ``actionTypeNames`` order: actions, then controls.
    private let actionTypes: [ActionType]
    private let triggerList: [TriggerInfo]
    /// Event types by name (the first of a name, as ``Catalog/event(_:)`` finds it).
    let eventsByType: [String: EventType]
    /// Record types shared by the scopes of flows checked against this catalog.
    let records = ScopeRecords()
    /// The parsed type of every parameter's type text, read once per value otherwise.
    private let parameterTypes: [String: CatalogType]

    private let source: Catalog

    private init(_ catalog: Catalog) {
        source = catalog
        var types: [String: CatalogType] = [:]
        let parameters = catalog.flowKeys + catalog.actionKeys + catalog.actions.flatMap(\.inputs)
            + catalog.controls.flatMap(\.keys) + catalog.triggers.flatMap(\.parameters)
        for parameter in parameters where types[parameter.type] == nil {
            types[parameter.type] = (try? CatalogType.parse(parameter.type)) ?? .dyn
        }
        parameterTypes = types
        let typeOf = { (parameter: Parameter) in types[parameter.type] ?? .dyn }

        flowKeys = KeyTable(catalog.flowKeys, type: typeOf)
        flowKeyRoles = catalog.flowKeys.map { key in
            switch key.name {
            case "flow": return .flow
            case "description": return .description
            case "enabled": return .enabled
            case "concurrency": return .concurrency
            case "trigger": return .trigger
            case "conditions": return .conditions
            case "vars": return .vars
            case "actions": return .actions
            default: return .other
            }
        }
        let common = catalog.actionKeys
        commonKeys = KeyTable(common, type: typeOf)
        commonKeyRoles = common.map { Self.commonKey(named: $0.name) }
        if let retry = commonKeys.spec(named: "retry"), case .record(let fields) = retry.type {
            retryKeys = fields.map(\.name)
        } else {
            retryKeys = ["attempts", "backoff", "delay", "max_delay"]
        }
        retryKeyRoles = retryKeys.map { name in
            switch name {
            case "attempts": return .attempts
            case "backoff": return .backoff
            case "delay": return .delay
            case "max_delay": return .maxDelay
            default: return .other
            }
        }
        runAfterStatuses = commonKeys.spec(named: "run_after")?.values ?? FlowDecoder.defaultStatuses

        var actions: [String: ActionInfo] = [:]
        var actionTypes: [ActionType] = []
        for action in catalog.actions {
            let info = ActionInfo(
                action: action, context: "\(FlowDecoder.article(action.name)) `\(action.name)` action",
                inputs: KeyTable(action.inputs, type: typeOf))
            if actions[action.name] == nil { actions[action.name] = info }
            actionTypes.append(.action(info))
        }
        self.actions = actions
        let commonWithoutWith = common.map(\.name).filter { $0 != "with" }
        var controls: [String: ControlInfo] = [:]
        for control in catalog.controls {
            let info = ControlInfo(
                control: control, context: "\(FlowDecoder.article(control.name)) `\(control.name)` action",
                allowed: commonWithoutWith + control.keys.map(\.name), keys: KeyTable(control.keys, type: typeOf),
                defaultBindings: control.keys.compactMap { key in
                    guard key.kind == "name", let name = key.defaultValue else { return nil }
                    return (key.name, name)
                })
            if controls[control.name] == nil { controls[control.name] = info }
            actionTypes.append(.control(info))
        }
        self.controls = controls
        self.actionTypes = actionTypes
        var triggers: [String: TriggerInfo] = [:]
        var triggerList: [TriggerInfo] = []
        for trigger in catalog.triggers {
            let info = TriggerInfo(
                trigger: trigger, context: "trigger `\(trigger.name)`", allowed: ["type"] + trigger.parameters.map(\.name),
                parameters: KeyTable(trigger.parameters, type: typeOf))
            if triggers[trigger.name] == nil { triggers[trigger.name] = info }
            triggerList.append(info)
        }
        self.triggers = triggers
        self.triggerList = triggerList
        triggerNames = catalog.triggers.map(\.name)
        actionTypeNames = catalog.actionTypeNames
        var events: [String: EventType] = [:]
        for event in catalog.events where events[event.type] == nil { events[event.type] = event }
        eventsByType = events
    }

    /// The action or control action called `name`; an action wins over a control of the same name.
    func actionType(named name: String) -> ActionType? {
        // Looked up for every action: a scan of a dozen short names beats hashing the name.
        guard let position = keyPosition(name, in: actionTypeNames), actionTypes.indices.contains(position) else { return nil }
        return actionTypes[position]
    }

    func trigger(named name: String) -> TriggerInfo? {
        guard let position = keyPosition(name, in: triggerNames), triggerList.indices.contains(position) else { return nil }
        return triggerList[position]
    }

    /// The type a parameter's text spells; `dyn` when it does not parse.
    func type(of parameter: Parameter) -> CatalogType {
        if let known = parameterTypes[parameter.type] { return known }
        return (try? CatalogType.parse(parameter.type)) ?? .dyn
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
