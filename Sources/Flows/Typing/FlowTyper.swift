import CEL
import Catalog
import Diagnostics
import YAML

/// Where an expression part stands: its scalar's start offset in the file and the part's
/// position among the site's parts. Unique within a file.
public struct ExpressionKey: Sendable, Hashable {
    public var offset: Int
    public var part: Int

    public init(_ site: ExpressionSite, part: Int) {
        offset = site.span.start.offset
        self.part = part
    }
}

/// What typing one flow found: the checked type of every expression part, the type of each
/// var and of each `foreach` element, and the diagnostics.
public struct FlowTyping: Sendable {
    public var diagnostics: [Diagnostic] = []
    /// Checked result types; a part that failed to check has no entry.
    public var expressionTypes: [ExpressionKey: CELType] = [:]
    /// Each var's type, in declaration order (as read back from its catalog type name).
    public var varTypes: [(name: String, type: CELType)] = []
    /// The element type of each `foreach`, by ``FlowAction/index``.
    public var elementTypes: [Int: CELType] = [:]
    /// The loop variable name of each `foreach`, by ``FlowAction/index``.
    public var loopNames: [Int: String] = [:]
    /// The flow's full scope (every var and action).
    public var scope: FlowScope

    public func type(of site: ExpressionSite, part: Int) -> CELType? { expressionTypes[ExpressionKey(site, part: part)] }
}

/// The typing pass of SPEC 4.2–4.4: every expression of a flow, parsed and checked in its
/// scope, then checked against what its place expects; plus the lint warnings that need
/// types (unguarded optional fields, unused vars, constant conditions, actions that never run).
public enum FlowTyper {
    public static func type(_ flow: Flow, catalog: Catalog = .standard) -> FlowTyping {
        type(flow, catalog: catalog, memo: TypingMemo())
    }

    /// Types a flow reusing what earlier flows of the same lint computed.
    static func type(_ flow: Flow, catalog: Catalog, memo: TypingMemo) -> FlowTyping {
        var pass = TypingPass(flow: flow, catalog: catalog, memo: memo)
        pass.run()
        return pass.typing
    }
}

/// Work that flows of one lint share, keyed by everything the result depends on: parsing is
/// a function of the text alone, and the catalog's trigger expressions check the same in
/// every flow with the same trigger records. One memo serves one thread at a time.
final class TypingMemo {
    private var parsed: [String: Result<CELParsed, CELIssue>] = [:]
    private var lowering: [LoweringKey: String?] = [:]
    /// Bounds the tables for a lint of a huge repository; a cleared memo only costs time.
    private static let maxEntries = 65_536

    /// An expression's text and the environment it is checked in: the names in slot order
    /// with their types (records compare by identity, so equal keys are equal environments).
    private struct CheckKey: Hashable {
        var text: String
        var names: [String]
        var types: [CELType]
        /// The hash of `names` and `types`, computed once per environment.
        var signature: Int

        func hash(into hasher: inout Hasher) {
            hasher.combine(text)
            hasher.combine(signature)
        }

        static func == (lhs: CheckKey, rhs: CheckKey) -> Bool {
            lhs.signature == rhs.signature && lhs.text == rhs.text && lhs.names == rhs.names && lhs.types == rhs.types
        }
    }

    private var checked: [CheckKey: CELChecked] = [:]
    private var lastVariables: [CELEnvironment.Variable] = []
    private var lastVariableCount = -1
    private var lastNames: [String] = []
    private var lastTypes: [CELType] = []
    private var lastSignature = 0

    /// `environment.check(parsed)` where `parsed` is the tree of `text`, once per text and
    /// environment.
    func check(_ parsed: CELParsed, text: String, in environment: CELEnvironment) -> CELChecked {
        let variables = environment.variables
        if variables.count != lastVariableCount || !variables.elementsEqual(lastVariables, by: { $0.name == $1.name && $0.type == $1.type }) {
            // Scopes change a few times per flow; the key's arrays are made once per change.
            lastVariables = variables
            lastVariableCount = variables.count
            lastNames = variables.map(\.name)
            lastTypes = variables.map(\.type)
            var hasher = Hasher()
            hasher.combine(lastNames)
            hasher.combine(lastTypes)
            lastSignature = hasher.finalize()
        }
        let key = CheckKey(text: text, names: lastNames, types: lastTypes, signature: lastSignature)
        if let known = checked[key] { return known }
        let result = environment.check(parsed)
        if checked.count >= Self.maxEntries { checked.removeAll() }
        checked[key] = result
        return result
    }

    struct LoweringKey: Hashable {
        var event: CELRecordType
        var trigger: CELRecordType
        var what: String
        var source: String
        var expected: String?
    }

    init() {}

    func parse(_ text: String, limits: CELLimits) -> Result<CELParsed, CELIssue> {
        if let known = parsed[text] { return known }
        let result = CELParser.parse(text, limits: limits)
        if parsed.count >= Self.maxEntries { parsed.removeAll() }
        parsed[text] = result
        return result
    }

    /// The problem of a catalog lowering expression (nil: none), computed once per key.
    func loweringProblem(_ key: LoweringKey, compute: () -> (problem: String?, cacheable: Bool)) -> String? {
        if let known = lowering[key] { return known }
        let (problem, cacheable) = compute()
        if cacheable {
            if lowering.count >= Self.maxEntries { lowering.removeAll() }
            lowering[key] = .some(problem)
        }
        return problem
    }
}

/// Facts known to hold where an expression is evaluated: the optional fields tested present.
typealias Guards = Set<String>

struct TypingPass {
    let flow: Flow
    let catalog: Catalog
    var typing: FlowTyping
    private var varReads: Set<String> = []
    /// Every action with a `run_after`, in index order, and every action by index: what
    /// ``checkRunAfter()`` reads.
    private var waitingActions: [WaitingAction] = []
    private var actionsByIndex: [EndingFacts?] = []

    /// What ``checkRunAfter()`` needs of an action with a `run_after`; copies of whole
    /// actions would be large.
    private struct WaitingAction {
        var index: Int
        var displayName: String
        var runAfter: RunAfter
    }

    /// What decides the statuses an action can end in.
    private struct EndingFacts {
        var index: Int
        var kind: ActionKind
        var hasTimeout: Bool
    }
    private var constantFalse: Set<Int> = []
    private let limits = CELLimits()
    private let memo: TypingMemo
    /// Scopes narrowed to the visible actions, by their ids: actions that see the same
    /// finished actions share one environment.
    /// Boxed: a table of large values grows in large steps, each of which makes the
    /// allocator do a costly sweep.
    private var visibleScopes: [[String]: Boxed<FlowScope>] = [:]

    init(flow: Flow, catalog: Catalog, memo: TypingMemo) {
        self.flow = flow
        self.catalog = catalog
        self.memo = memo
        var actions: [(id: String, type: String)] = []
        var byIndex: [EndingFacts?] = []
        var waiting: [WaitingAction] = []
        func collect(_ list: ActionList) {
            for action in list.actions {
                if action.index >= 0 {
                    if action.index >= byIndex.count { byIndex += Array(repeating: nil, count: action.index - byIndex.count + 1) }
                    if byIndex[action.index] == nil {
                        byIndex[action.index] = EndingFacts(index: action.index, kind: action.kind, hasTimeout: action.timeout != nil)
                    }
                }
                if let runAfter = action.runAfter {
                    waiting.append(WaitingAction(index: action.index, displayName: action.displayName, runAfter: runAfter))
                }
                if let id = action.id?.value, let type = action.type?.value { actions.append((id, type)) }
                if !action.controlKeys.isEmpty {
                    for nested in action.nestedLists { collect(nested) }
                }
            }
        }
        collect(flow.actions)
        actionsByIndex = byIndex
        waitingActions = waiting.sorted { $0.index < $1.index }
        let triggerName = flow.trigger?.type?.value ?? ""
        let eventType = Self.eventTypeName(flow.trigger, catalog: catalog)
        let scope = FlowScope(catalog: catalog, trigger: triggerName, eventType: eventType, vars: [], actions: actions)
        typing = FlowTyping(scope: scope)
        self.actions = actions
        self.triggerName = triggerName
        self.eventType = eventType
    }

    private let actions: [(id: String, type: String)]
    private let triggerName: String
    private let eventType: String?

    /// The generic trigger's `event_type` when it names one catalog event type exactly.
    static func eventTypeName(_ trigger: TriggerUse?, catalog: Catalog) -> String? {
        guard let trigger, let name = trigger.type?.value, let catalogTrigger = catalog.trigger(name) else { return nil }
        if let event = catalogTrigger.event { return event }
        guard let parameter = catalogTrigger.lowering.eventTypeParameter,
              case .literal(let scalar, _)? = trigger.argument(parameter)?.value,
              !scalar.value.contains("*"), catalog.event(scalar.value) != nil else { return nil }
        return scalar.value
    }

    mutating func run() {
        let base = typing.scope
        // Trigger: the `filter` parameter and the catalog's lowering expressions.
        checkTrigger(in: base)
        // Conditions see neither vars nor actions; what they test holds for everything after.
        var guards = Guards()
        for (offset, site) in flow.conditions.enumerated() {
            let facts = checkCondition(site, what: "conditions[\(offset)]", in: base, guards: Guards())
            guards.formUnion(facts.positive)
        }
        // Vars in order; each sees the earlier ones.
        var varTypes: [(name: String, type: CELType)] = []
        for variable in flow.vars {
            let scope = FlowScope(catalog: catalog, trigger: triggerName, eventType: eventType, vars: varTypes, actions: [])
            let type = valueType(variable.value, what: "vars.\(variable.name)", expected: nil, in: scope, guards: guards)
            varTypes.append((variable.name, FlowTypeNames.roundTripped(type, recordName: "vars.\(variable.name)")))
        }
        typing.varTypes = varTypes
        if !varTypes.isEmpty {
            typing.scope = FlowScope(catalog: catalog, trigger: triggerName, eventType: eventType, vars: varTypes, actions: actions)
        }
        walk(flow.actions, scope: typing.scope, guards: guards)
        checkRunAfter()
        for variable in flow.vars where !varReads.contains(variable.name) {
            typing.diagnostics.append(Diagnostic(
                .typeUnusedVar, .warning, "var `\(variable.name)` is never read", at: variable.keySpan,
                label: "no expression reads `vars.\(variable.name)`"))
        }
    }

    // MARK: - Trigger

    private mutating func checkTrigger(in scope: FlowScope) {
        guard let trigger = flow.trigger, let name = trigger.type?.value, let catalogTrigger = catalog.trigger(name) else { return }
        for parameter in catalogTrigger.parameters where parameter.kind == "expression" {
            guard case .expression(let site)? = trigger.argument(parameter.name)?.value else { continue }
            _ = checkCondition(site, what: "trigger.\(parameter.name)", in: scope, guards: Guards())
        }
        let lowering = catalogTrigger.lowering
        let sources: [(String, String?, String?)] = [
            ("filter", lowering.filter, "bool"), ("key", lowering.key, nil), ("value", lowering.value, lowering.valueType),
        ]
        for (what, source, expected) in sources {
            guard let source else { continue }
            let key = TypingMemo.LoweringKey(event: scope.eventRecordType, trigger: scope.triggerType, what: what, source: source, expected: expected)
            let problem = memo.loweringProblem(key) { Self.loweringProblem(source, what: what, expected: expected, in: scope) }
            if let problem {
                typing.diagnostics.append(Diagnostic(
                    .typeCatalogExpression, .error, "the catalog's `\(what)` of trigger `\(name)` does not check: \(problem)",
                    at: trigger.type?.span ?? trigger.span))
            }
        }
    }

    /// What is wrong with a catalog expression in `scope`, and whether the answer holds for
    /// every scope with the same `event` and `trigger` records (it reads nothing else).
    private static func loweringProblem(_ source: String, what: String, expected: String?, in scope: FlowScope) -> (problem: String?, cacheable: Bool) {
        let parsed: CELParsed
        switch CELParser.parse(source) {
        case .failure(let issue): return (issue.message, true)
        case .success(let tree): parsed = tree
        }
        let checked = scope.environment.check(parsed)
        let sharedSlots: Set<Int> = [scope.slots.event, scope.slots.trigger, scope.slots.env, scope.slots.secrets, scope.slots.now, scope.slots.flow]
        let cacheable = checked.referencedSlots.isSubset(of: sharedSlots)
        if let issue = checked.issues.first { return (issue.message, cacheable) }
        let type = checked.resultType
        if let expected, !FlowTypeNames.celType(catalogName: expected, recordName: what).accepts(type) {
            return ("it is of type `\(FlowTypeNames.celName(type))`, not `\(expected)`", cacheable)
        }
        return (nil, cacheable)
    }

    // MARK: - Actions

    private mutating func walk(_ list: ActionList, scope: FlowScope, guards: Guards) {
        for action in list.actions {
            walk(action, scope: scope, guards: guards)
        }
    }

    private mutating func walk(_ action: FlowAction, scope outer: FlowScope, guards outerGuards: Guards) {
        let visible = ActionVisibility(graph: flow.actionGraph, action: action.index).ids
        let scope: FlowScope
        if outer.loopVariables.isEmpty, let known = visibleScopes[visible] {
            scope = known.value
        } else {
            scope = outer.visible(actions: visible)
            if outer.loopVariables.isEmpty { visibleScopes[visible] = Boxed(scope) }
        }
        let name = action.displayName
        var guards = outerGuards
        if let site = action.condition {
            let facts = checkCondition(site, what: "if", in: scope, guards: guards)
            guards.formUnion(facts.positive)
            if facts.constant == false {
                constantFalse.insert(action.index)
                typing.diagnostics.append(Diagnostic(
                    .typeNeverRuns, .warning, "action `\(name)` can never run", at: expressionSpan(site),
                    label: "this condition is always false"))
            }
        }
        let kind: String? = {
            switch action.kind {
            case .action(let type): return type
            case .control(let type): return type
            case .unknown: return nil
            }
        }()
        if kind == "set" {
            checkSet(action, in: scope, guards: guards)
        } else {
            for input in action.inputs {
                _ = valueType(input.value, what: input.name, expected: nil, in: scope, guards: guards)
            }
        }
        guard case .control(let control) = action.kind else { return }
        var conditionFacts = Facts()
        var onType: CELType?
        var elementType: CELType = .dyn
        for key in action.controlKeys {
            switch key.value {
            case .expression(let site):
                if site.role == .condition {
                    conditionFacts = checkCondition(site, what: key.name, in: scope, guards: guards)
                } else {
                    let type = checkSite(site, what: key.name, in: scope, guards: guards)
                    if control == "foreach", key.name == "items" { elementType = checkItems(site, type) }
                    if control == "switch", key.name == "on" { onType = checkOn(site, type) }
                }
            case .value(let value):
                let type = valueType(value, what: key.name, expected: nil, in: scope, guards: guards)
                if control == "foreach", key.name == "items", case .expression(let site) = value { elementType = checkItems(site, type) }
                if control == "switch", key.name == "on", case .expression(let site) = value { onType = checkOn(site, type) }
            case .actions, .cases, .branches, .name:
                break
            }
        }
        var inner = scope
        if control == "foreach" {
            var loopName = "item"
            for key in action.controlKeys {
                if case .name(let written) = key.value { loopName = written.value }
            }
            let element = FlowTypeNames.roundTripped(elementType, recordName: loopName)
            typing.elementTypes[action.index] = element
            typing.loopNames[action.index] = loopName
            inner = scope.adding(loopVariables: [(loopName, element)])
        }
        // Each nested action narrows `actions` again from the flow's complete list.
        let nestedScope = inner
        for key in action.controlKeys {
            switch key.value {
            case .actions(let list):
                var nestedGuards = guards
                if control == "if" {
                    nestedGuards.formUnion(key.name == "else" ? conditionFacts.negative : conditionFacts.positive)
                }
                walk(list, scope: nestedScope, guards: nestedGuards)
            case .cases(let cases):
                for switchCase in cases {
                    checkCase(switchCase, onType: onType)
                    walk(switchCase.actions, scope: nestedScope, guards: guards)
                }
            case .branches(let lists):
                for list in lists { walk(list, scope: nestedScope, guards: guards) }
            case .expression, .value, .name:
                break
            }
        }
    }

    private mutating func checkItems(_ site: ExpressionSite, _ type: CELType?) -> CELType {
        guard let type else { return .dyn }
        switch type {
        case .list(let element): return element
        case .dyn, .error: return .dyn
        default:
            typing.diagnostics.append(Diagnostic(
                .typeItemsNotList, .error, "`foreach` `items` must be a list, not `\(FlowTypeNames.celName(type))`",
                at: expressionSpan(site), label: "of type `\(FlowTypeNames.celName(type))`"))
            return .dyn
        }
    }

    private mutating func checkOn(_ site: ExpressionSite, _ type: CELType?) -> CELType? {
        guard let type else { return nil }
        switch type {
        case .string, .int, .dyn, .error: return type
        default:
            typing.diagnostics.append(Diagnostic(
                .typeSwitchOn, .error, "`switch` `on` must be a `string` or an `int`, not `\(FlowTypeNames.celName(type))`",
                at: expressionSpan(site), label: "of type `\(FlowTypeNames.celName(type))`"))
            return nil
        }
    }

    private mutating func checkCase(_ switchCase: SwitchCase, onType: CELType?) {
        guard onType == .int, case .notAnInteger = NumberSyntax.integer(switchCase.value.value) else { return }
        typing.diagnostics.append(Diagnostic(
            .typeCaseNeverMatches, .error, "case `\(switchCase.value.value)` can never match: `on` is an `int`",
            at: switchCase.value.span, label: "not an integer"))
    }

    private mutating func checkSet(_ action: FlowAction, in scope: FlowScope, guards: Guards) {
        var declared: CELType?
        if let target = action.input("var"), case .literal(let scalar, let span) = target.value {
            let name = scalar.value
            if let type = typing.scope.varType(name) {
                declared = type
            } else {
                let names = typing.varTypes.map(\.name)
                let suggestion = Suggestions.closest(to: name, in: names)
                var diagnostic = Diagnostic(
                    .typeUnknownVar, .error, "`set` names var `\(name)`, which is not declared", at: span,
                    label: suggestion.map { "did you mean `\($0)`?" } ?? "not declared in `vars:`")
                if let suggestion { diagnostic = diagnostic.with(fixIt: suggestion, at: span) }
                if suggestion == nil {
                    diagnostic = diagnostic.with(note: names.isEmpty ? "this flow declares no vars" : "declared vars: " + names.map { "`\($0)`" }.joined(separator: ", "))
                }
                typing.diagnostics.append(diagnostic)
            }
        }
        for input in action.inputs where input.name != "var" {
            let type = valueType(input.value, what: input.name, expected: nil, in: scope, guards: guards)
            guard input.name == "value", let declared, !type.isErrorType, !declared.accepts(type) else { continue }
            // Numbers do not convert implicitly; an int var keeps ints.
            typing.diagnostics.append(Diagnostic(
                .typeSetMismatch, .error,
                "`set` gives var `\(Self.literalName(action.input("var")))` a value of type `\(FlowTypeNames.celName(type))`, but it is declared `\(FlowTypeNames.celName(declared))`",
                at: input.value.span.isEmpty ? action.span : valueSpan(input.value), label: "of type `\(FlowTypeNames.celName(type))`"))
        }
    }

    private static func literalName(_ argument: FlowArgument?) -> String {
        if case .literal(let scalar, _)? = argument?.value { return scalar.value }
        return "?"
    }

    private func valueSpan(_ value: FlowValue) -> SourceSpan {
        if case .expression(let site) = value { return expressionSpan(site) }
        return value.span
    }

    // MARK: - run_after

    /// An action whose `run_after` waits only for statuses its target can never end in.
    private mutating func checkRunAfter() {
        guard let graph = flow.actionGraph else { return }
        for action in waitingActions {
            let runAfter = action.runAfter
            for entry in runAfter.entries {
                // Every action that can run may end `succeeded`, `failed` or `skipped`.
                if entry.statuses.contains(where: { Self.alwaysPossible.contains($0.value) }),
                   let targetIndex = graph.index(of: entry.target.value), !constantFalse.contains(targetIndex) {
                    continue
                }
                guard let targetIndex = graph.index(of: entry.target.value), actionsByIndex.indices.contains(targetIndex),
                      let target = actionsByIndex[targetIndex] else { continue }
                let possible = possibleStatuses(target)
                let wanted = Set(entry.statuses.map(\.value))
                guard !wanted.isEmpty, wanted.isDisjoint(with: possible) else { continue }
                typing.diagnostics.append(Diagnostic(
                    .typeNeverRuns, .warning, "action `\(action.displayName)` can never run", at: entry.target.span,
                    label: "`\(entry.target.value)` never ends " + wanted.sorted().map { "`\($0)`" }.joined(separator: " or "))
                    .with(note: "`\(entry.target.value)` can only end " + possible.sorted().map { "`\($0)`" }.joined(separator: ", ")))
            }
        }
    }

    private static let alwaysPossible = ["succeeded", "failed", "skipped"]

    private func possibleStatuses(_ action: EndingFacts) -> Set<String> {
        if constantFalse.contains(action.index) { return ["skipped"] }
        var statuses: Set<String> = ["succeeded", "failed", "skipped"]
        var hasTimeout = action.hasTimeout
        if case .action(let type) = action.kind, catalog.action(type)?.timeout != nil { hasTimeout = true }
        if hasTimeout { statuses.insert("timed_out") }
        return statuses
    }

    // MARK: - Values and sites

    /// The type of a value (literal, expression, list, map), checking every expression in it.
    private mutating func valueType(_ value: FlowValue, what: @autoclosure () -> String, expected: CELType?, in scope: FlowScope, guards: Guards) -> CELType {
        switch value {
        case .null:
            return .null
        case .literal(let scalar, _):
            return FlowLiteral(scalar).celType
        case .expression(let site):
            return checkSite(site, what: what(), in: scope, guards: guards) ?? .error
        case .list(let items, _):
            let types = items.enumerated().map { valueType($0.element, what: "\(what())[\($0.offset)]", expected: nil, in: scope, guards: guards) }
            return .list(Self.join(types))
        case .map(let entries, _):
            let types = entries.map { valueType($0.value, what: "\(what()).\($0.key.value)", expected: nil, in: scope, guards: guards) }
            return .map(.string, Self.join(types))
        }
    }

    private static func join(_ types: [CELType]) -> CELType {
        guard let first = types.first(where: { !$0.isErrorType }) else { return .dyn }
        return types.allSatisfy { $0.isErrorType || $0 == first } ? first : .dyn
    }

    struct Facts {
        var positive = Guards()
        var negative = Guards()
        /// The value of a condition that reads nothing.
        var constant: Bool?
    }

    /// A condition: must be `bool`; returns what it proves when true and when false.
    private mutating func checkCondition(_ site: ExpressionSite, what: @autoclosure () -> String, in scope: FlowScope, guards: Guards) -> Facts {
        guard let part = site.parts.first(where: \.isExpression), let index = site.parts.firstIndex(where: \.isExpression),
              let checked = checkPart(part, index: index, of: site, in: scope, guards: guards) else { return Facts() }
        let type = checked.resultType
        switch type {
        case .bool, .dyn, .error: break
        default:
            typing.diagnostics.append(Diagnostic(
                .typeConditionNotBool, .error, "`\(what())` must be a `bool` expression, not `\(FlowTypeNames.celName(type))`",
                at: partSpan(part, of: site), label: "of type `\(FlowTypeNames.celName(type))`")
                .with(note: "compare the value, for example `... > 0` or `... == \"succeeded\"`"))
            return Facts()
        }
        var facts = Facts(positive: GuardAnalysis.positive(checked.parsed.root), negative: GuardAnalysis.negative(checked.parsed.root))
        if type == .bool, !Self.readsVariables(checked) {
            let value = scope.environment.program(for: checked).evaluate([:], in: scope.environment)
            if case .bool(let constant) = value {
                facts.constant = constant
                // An `if:` that is always false is reported as an action that never runs.
                if !(what() == "if" && !constant) {
                    typing.diagnostics.append(Diagnostic(
                        .typeConstantCondition, .warning, "`\(what())` is always `\(constant)`", at: partSpan(part, of: site),
                        label: "reads nothing that changes between runs"))
                }
            }
        }
        return facts
    }

    /// Checks every part of a site; returns the site's type (a template is a string), nil on error.
    @discardableResult
    private mutating func checkSite(_ site: ExpressionSite, what: @autoclosure () -> String, in scope: FlowScope, guards: Guards) -> CELType? {
        switch site.role {
        case .condition:
            _ = checkCondition(site, what: what(), in: scope, guards: guards)
            return .bool
        case .template:
            var valid = true
            for (index, part) in site.parts.enumerated() where part.isExpression {
                guard let checked = checkPart(part, index: index, of: site, in: scope, guards: guards) else {
                    valid = false
                    continue
                }
                let type = checked.resultType
                if !Self.isPrintable(type) {
                    valid = false
                    typing.diagnostics.append(Diagnostic(
                        .typeTemplateNotPrintable, .error,
                        "a value of type `\(FlowTypeNames.celName(type))` cannot be written into the text of `\(what())`",
                        at: partSpan(part, of: site), label: "of type `\(FlowTypeNames.celName(type))`")
                        .with(note: "templates print strings, bools, numbers, timestamps and durations; write the whole value as `${{ ... }}` to keep its type"))
                }
            }
            return valid ? .string : nil
        case .wholeValue, .bareExpression:
            guard let index = site.parts.firstIndex(where: \.isExpression),
                  let checked = checkPart(site.parts[index], index: index, of: site, in: scope, guards: guards) else { return nil }
            let type = checked.resultType
            let expected = FlowTypeNames.celType(catalogName: site.expectedType, recordName: what())
            // A printable value where text is expected is written as text, as in a template.
            let printsAsText = expected == .string && Self.isPrintable(type)
            if !Self.isListForeachItems(site), !printsAsText, !expected.accepts(type) {
                typing.diagnostics.append(Diagnostic(
                    .typeValueMismatch, .error,
                    "`\(what())` expects `\(FlowTypeNames.celName(expected))`, but the expression is of type `\(FlowTypeNames.celName(type))`",
                    at: partSpan(site.parts[index], of: site), label: "of type `\(FlowTypeNames.celName(type))`"))
                return nil
            }
            return type
        }
    }

    /// `items` is reported by its own code, with a clearer message.
    private static func isListForeachItems(_ site: ExpressionSite) -> Bool {
        site.expectedType == "list(dyn)"
    }

    private static func isPrintable(_ type: CELType) -> Bool {
        switch type {
        case .string, .bool, .int, .uint, .double, .timestamp, .duration, .dyn, .error: return true
        default: return false
        }
    }

    /// Parses and checks one expression part; diagnostics point into the YAML.
    private mutating func checkPart(_ part: TemplatePart, index: Int, of site: ExpressionSite, in scope: FlowScope, guards: Guards) -> CELChecked? {
        let base = part.range.lowerBound
        let length = part.range.count
        // A function, not a closure value: nothing is allocated unless a diagnostic needs it.
        func mapping(_ range: Range<Int>) -> SourceSpan {
            let lower = min(max(0, range.lowerBound), length)
            let upper = min(max(lower, range.upperBound), length)
            return site.span(of: (base + lower)..<(base + upper))
        }
        let parsed: CELParsed
        switch memo.parse(part.text, limits: limits) {
        case .success(let tree): parsed = tree
        case .failure(let issue):
            typing.diagnostics.append(issue.diagnostic(mapping: mapping))
            return nil
        }
        let checked = memo.check(parsed, text: part.text, in: scope.environment)
        if !checked.issues.isEmpty {
            typing.diagnostics += checked.issues.map { Self.explained($0) }.diagnostics(mapping: mapping)
            // The reads still count: one mistake should not also make a var look unused.
            varReads.formUnion(GuardAnalysis.varReads(in: parsed.root))
            return nil
        }
        typing.expressionTypes[ExpressionKey(site, part: index)] = checked.resultType
        var analysis = GuardAnalysis(checked: checked, source: part.text)
        analysis.walk(checked.parsed.root, guards: guards)
        varReads.formUnion(analysis.varReads)
        for finding in analysis.unguarded {
            typing.diagnostics.append(Diagnostic(
                .typeUnguardedOptional, .warning, "optional field `\(finding.path)` may be absent here", at: mapping(finding.range),
                label: "read without a `has()` guard")
                .with(note: "guard it with `has(\(finding.path))`, or read it as `\(finding.optionalForm).orValue(...)`"))
        }
        return checked
    }

    /// Whether a checked expression reads any variable (without building the set of slots).
    private static func readsVariables(_ checked: CELChecked) -> Bool {
        checked.references.values.contains { reference in
            if case .variable = reference { return true }
            return false
        }
    }

    /// Unknown fields of `actions` and `vars` are about scope, not spelling: say so.
    private static func explained(_ issue: CELIssue) -> CELIssue {
        guard issue.code == .celUnknownField else { return issue }
        var issue = issue
        if issue.message.hasPrefix("`actions` has no field") {
            issue.notes = ["`actions.ID` is readable only where the action has surely finished: after it in sequence, through `run_after`, or before the enclosing control action"]
        } else if issue.message.hasPrefix("`vars` has no field") {
            issue.notes = ["a var sees only the vars declared before it; actions see all of them"]
        }
        return issue
    }

    private func partSpan(_ part: TemplatePart, of site: ExpressionSite) -> SourceSpan {
        site.trimmedSpan(of: part)
    }

    private func expressionSpan(_ site: ExpressionSite) -> SourceSpan {
        guard let part = site.parts.first(where: \.isExpression) else { return site.span }
        return partSpan(part, of: site)
    }
}

extension ExpressionSite {
    /// The file span of an expression part without its surrounding blanks (`${{ x }}` → `x`).
    public func trimmedSpan(of part: TemplatePart) -> SourceSpan {
        let range = part.trimmedRange
        return span(of: (part.range.lowerBound + range.lowerBound)..<(part.range.lowerBound + range.upperBound))
    }
}

extension TemplatePart {
    /// The UTF-8 range of the text without leading and trailing blanks.
    var trimmedRange: Range<Int> {
        let bytes = Array(text.utf8)
        var lower = 0
        var upper = bytes.count
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }
        while lower < upper, isBlank(bytes[lower]) { lower += 1 }
        while upper > lower, isBlank(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// The expression text without surrounding blanks: what a compiled graph stores, so that
    /// offset 0 of the stored source is the start of its ``ExpressionSite/trimmedSpan(of:)``.
    public var trimmedText: String {
        let range = trimmedRange
        return String(decoding: Array(text.utf8)[range], as: UTF8.self)
    }
}

extension CELType {
    var isErrorType: Bool {
        if case .error = self { return true }
        return false
    }
}

/// Checks expressions that do not stand in the YAML (the catalog's trigger lowering, a
/// compiled graph's expressions) in a flow's scope.
public enum CatalogExpression {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// The checked result type, or the first issue's message.
    public static func check(_ source: String, in scope: FlowScope) -> Result<CELType, Failure> {
        switch CELParser.parse(source) {
        case .failure(let issue): return .failure(Failure(message: issue.message))
        case .success(let parsed):
            let checked = scope.environment.check(parsed)
            if let issue = checked.issues.first { return .failure(Failure(message: issue.message)) }
            return .success(checked.resultType)
        }
    }
}
