import Catalog
import Diagnostics
import YAML

/// Actions, their inputs and the keys of control actions.
extension FlowDecoder {
    // MARK: - Actions

    mutating func decodeActionList(_ node: YAMLNode, what: String, isFlowLevel: Bool) -> ActionList {
        guard let items = node.sequence else {
            wrongKind(node, expected: "a sequence of actions", for: what)
            return ActionList(actions: [], span: node.span)
        }
        if items.isEmpty {
            if isFlowLevel {
                error(.flowEmptyActions, "a flow needs at least one action", at: node.span, label: "`actions` is empty")
            } else {
                report(.warning(.flowEmptyNestedList, "`\(what)` has no actions", at: node.span))
            }
        }
        var actions: [FlowAction] = []
        actions.reserveCapacity(items.count)
        for item in items { actions.append(decodeAction(item)) }
        return ActionList(actions: actions, span: node.span)
    }

    mutating func decodeAction(_ node: YAMLNode) -> FlowAction {
        let position = nextActionIndex
        nextActionIndex += 1
        var action = FlowAction(
            index: position, id: nil, type: nil, kind: .unknown, span: node.span, description: nil, inputs: [], condition: nil,
            runAfter: nil, retry: nil, timeout: nil, controlKeys: [])
        guard let pairs = node.mapping else {
            error(.flowWrongKind, "expected an action (a mapping with `id` and `type`), found \(foundDescription(node))", at: node.span)
            return action
        }
        var actionInfo: CatalogIndex.ActionInfo?
        var controlInfo: CatalogIndex.ControlInfo?
        // The type decides which keys are valid, so read it first.
        if let typeNode = node["type"], let name = string(typeNode, for: "type") {
            action.type = Located(name, at: typeNode.span)
            if let known = index.actions[name] {
                actionInfo = known
                action.kind = .action(known.action.name)
            } else if let known = index.controls[name] {
                controlInfo = known
                action.kind = .control(known.control.name)
            } else {
                reportUnknownName(
                    .flowUnknownActionType, "unknown action type `\(name)`", name, candidates: index.actionTypeNames, at: typeNode.span,
                    listing: "action types")
            }
        }
        if let idNode = node["id"], let id = string(idNode, for: "id") {
            checkIdentifier(id, at: idNode.span, what: "action id")
            action.id = Located(id, at: idNode.span)
        }
        let context: String
        let allowed: [String]
        let control = controlInfo?.control
        if let actionInfo {
            context = actionInfo.context
            allowed = index.commonKeyNames
        } else if let controlInfo {
            context = controlInfo.context
            allowed = controlInfo.allowed
        } else {
            context = "an action"
            allowed = index.commonKeyNames
        }
        var keyed = pairs
        if let control, let with = keyed.first(where: { $0.key.scalar?.value == "with" }) {
            // A common slip: control keys sit on the action itself, not under `with`.
            let keys = control.keys.map { "`\($0.name)`" }.joined(separator: ", ")
            report(Diagnostic(
                .flowUnknownKey, .error, "`\(control.name)` actions take no `with`", at: with.key.span,
                label: "write \(keys) directly on the action"))
            keyed.removeAll { $0.key.scalar?.value == "with" }
        }
        let entries = entries(of: keyed, allowed: allowed, context: context, checkUnknown: action.kind != .unknown)
        let id = action.id
        func described() -> String { id.map { "action `\($0.value)`" } ?? "this action" }
        requireKeys(index.requiredCommonKeys, in: entries, anchor: anchor(pairs, node), context: described())
        if let controlInfo {
            requireKeys(controlInfo.requiredKeys, in: entries, anchor: action.type?.span ?? anchor(pairs, node), context: described())
        }
        if case .action(let name) = action.kind, let definition = actionInfo, !definition.requiredInputs.isEmpty,
           node["with"] == nil, !suggestedKeys.contains("with") {
            let required = definition.requiredInputs.map { "`\($0)`" }
            let described = described()
            if !required.isEmpty {
                error(.flowMissingKey, "missing required key `with` in \(described)", at: action.type?.span ?? anchor(pairs, node),
                      label: "`\(name)` needs \(required.joined(separator: ", "))")
            }
        }
        action.writtenKeys.reserveCapacity(entries.count)
        for entry in entries {
            let value = entry.pair.value
            action.writtenKeys.append(WrittenKey(name: entry.name, span: entry.pair.key.span))
            if let key = controlInfo?.keyByName[entry.name] {
                if let decoded = decodeControlKey(value, key: key) {
                    action.controlKeys.append(ControlKey(name: entry.name, keySpan: entry.pair.key.span, value: decoded))
                }
                continue
            }
            switch entry.name {
            case "id", "type":
                break
            case "description":
                action.description = string(value, for: "description")
            case "with":
                if let actionInfo {
                    action.inputs = decodeInputs(value, action: actionInfo)
                } else if action.kind == .unknown, value.mapping == nil {
                    wrongKind(value, expected: "a mapping of inputs", for: "with")
                }
            case "if":
                action.condition = bareExpression(value, type: "bool", what: "if")
            case "run_after":
                let parameter = index.commonKeyByName["run_after"]
                action.runAfter = decodeRunAfter(value, keySpan: entry.pair.key.span, parameter: parameter)
            case "retry":
                action.retry = decodeRetry(value, parameter: index.commonKeyByName["retry"])
            case "timeout":
                if let duration = duration(value, for: "timeout") {
                    if duration.milliseconds == 0 {
                        error(.flowDurationOutOfRange, "`timeout` must be longer than zero", at: value.span)
                    } else {
                        action.timeout = Located(duration, at: value.span)
                    }
                }
            default:
                if let parameter = index.commonKeyByName[entry.name] {
                    _ = self.value(value, for: parameter, what: entry.name)
                }
            }
        }
        return action
    }

    static func article(_ word: String) -> String {
        guard let first = word.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    mutating func decodeInputs(_ node: YAMLNode, action info: CatalogIndex.ActionInfo) -> [FlowArgument] {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping of inputs", for: "with")
            return []
        }
        let action = info.action
        let entries = entries(of: pairs, allowed: info.inputNames, context: "the inputs of `\(action.name)`")
        requireKeys(info.requiredInputs, in: entries, anchor: anchor(pairs, node), context: "`with` of `\(action.name)`")
        var arguments: [FlowArgument] = []
        arguments.reserveCapacity(entries.count)
        for entry in entries {
            guard let parameter = info.inputByName[entry.name] else { continue }
            let value = value(entry.pair.value, for: parameter, what: "with.\(entry.name)")
            arguments.append(FlowArgument(name: entry.name, keySpan: entry.pair.key.span, value: value))
        }
        for group in action.exclusive where entries.count(where: { group.contains($0.name) }) > 1 {
            let given = entries.filter { group.contains($0.name) }
            guard given.count > 1, let first = given.first else { continue }
            for other in given.dropFirst() {
                report(Diagnostic(
                    .flowExclusiveInputs, .error, "`\(other.name)` cannot be used together with `\(first.name)`", at: other.pair.key.span,
                    label: "at most one of " + group.map { "`\($0)`" }.joined(separator: ", ") + " may be given")
                    .with(secondary: "`\(first.name)` given here", at: first.pair.key.span))
            }
        }
        return arguments
    }

    mutating func decodeControlKey(_ node: YAMLNode, key: Parameter) -> ControlValue? {
        let what = key.name
        switch key.kind {
        case "actions":
            return .actions(decodeActionList(node, what: what, isFlowLevel: false))
        case "cases":
            guard let pairs = node.mapping else {
                wrongKind(node, expected: "a mapping of case values to action lists", for: what)
                return nil
            }
            if pairs.isEmpty { report(.warning(.flowEmptyNestedList, "`\(what)` has no cases", at: node.span)) }
            var cases: [SwitchCase] = []
            for pair in pairs {
                guard let scalar = pair.key.scalar, !scalar.isNull else {
                    error(.flowWrongKind, "expected a string or integer case value, found \(foundDescription(pair.key))", at: pair.key.span)
                    continue
                }
                let list = decodeActionList(pair.value, what: "\(what).\(scalar.value)", isFlowLevel: false)
                cases.append(SwitchCase(value: Located(scalar.value, at: pair.key.span), actions: list))
            }
            return .cases(cases)
        case "branches":
            guard let items = node.sequence else {
                wrongKind(node, expected: "a sequence of action lists", for: what)
                return nil
            }
            if items.isEmpty { report(.warning(.flowEmptyNestedList, "`\(what)` has no branches", at: node.span)) }
            return .branches(items.enumerated().map { decodeActionList($0.element, what: "\(what)[\($0.offset)]", isFlowLevel: false) })
        case "expression":
            return bareExpression(node, type: key.type, what: what).map(ControlValue.expression)
        case "name":
            guard let name = string(node, for: what) else { return nil }
            guard checkIdentifier(name, at: node.span, what: "`\(what)` name") else { return nil }
            return .name(Located(name, at: node.span))
        default:
            return .value(value(node, for: key, what: what))
        }
    }

    mutating func decodeRunAfter(_ node: YAMLNode, keySpan: SourceSpan, parameter: Parameter?) -> RunAfter? {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping of action ids to statuses", for: "run_after")
            return nil
        }
        let statuses = parameter?.values ?? defaultStatuses
        var entries: [RunAfterEntry] = []
        for pair in pairs {
            guard let target = pair.key.scalar, !target.isNull else {
                error(.flowWrongKind, "expected an action id in `run_after`, found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            var listed: [Located<String>] = []
            let items: [YAMLNode]
            if let sequence = pair.value.sequence {
                items = sequence
            } else if pair.value.scalar.map({ !$0.isNull }) == true {
                items = [pair.value]
            } else {
                wrongKind(pair.value, expected: "a sequence of statuses", for: "run_after.\(target.value)")
                items = []
            }
            if items.isEmpty, pair.value.sequence != nil {
                error(.flowWrongKind, "`run_after.\(target.value)` needs at least one status", at: pair.value.span,
                      label: "list one or more of " + statuses.map { "`\($0)`" }.joined(separator: ", "))
            }
            for item in items {
                guard let status = string(item, for: "run_after.\(target.value)") else { continue }
                if checkEnum(status, values: statuses, at: item.span, what: "run_after.\(target.value)") {
                    listed.append(Located(status, at: item.span))
                }
            }
            entries.append(RunAfterEntry(target: Located(target.value, at: pair.key.span), statuses: listed))
        }
        return RunAfter(keySpan: keySpan, entries: entries)
    }

    mutating func decodeRetry(_ node: YAMLNode, parameter: Parameter?) -> RetrySpec? {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping such as `{attempts: 3, backoff: exponential, delay: 1s}`", for: "retry")
            return nil
        }
        var retry = RetrySpec(span: node.span)
        var retryKeys = ["attempts", "backoff", "delay", "max_delay"]
        if let parameter, parameter == index.commonKeyByName["retry"], let known = index.retryKeys {
            retryKeys = known
        } else if let type = parameter.flatMap({ try? CatalogType.parse($0.type) }), case .record(let fields) = type {
            retryKeys = fields.map(\.name)
        }
        for entry in entries(of: pairs, allowed: retryKeys, context: "`retry`") {
            let value = entry.pair.value
            switch entry.name {
            case "attempts":
                guard let attempts = integer(value, for: "retry.attempts") else { break }
                if attempts < 1 {
                    error(.flowInvalidRetry, "`retry.attempts` must be at least 1, found \(attempts)", at: value.span,
                          label: "the number of tries, the first one included")
                } else {
                    retry.attempts = Located(Int(clamping: attempts), at: value.span)
                }
            case "backoff":
                if let text = string(value, for: "retry.backoff"),
                   checkEnum(text, values: backoffValues, at: value.span, what: "retry.backoff") {
                    retry.backoff = Located(text, at: value.span)
                }
            case "delay":
                retry.delay = duration(value, for: "retry.delay").map { Located($0, at: value.span) }
            case "max_delay":
                retry.maxDelay = duration(value, for: "retry.max_delay").map { Located($0, at: value.span) }
            default:
                break
            }
        }
        if let delay = retry.delay, let maxDelay = retry.maxDelay, maxDelay.value < delay.value {
            report(Diagnostic(
                .flowInvalidRetry, .error, "`retry.max_delay` (\(maxDelay.value)) is shorter than `retry.delay` (\(delay.value))",
                at: maxDelay.span)
                .with(secondary: "the first delay", at: delay.span))
        }
        return retry
    }
}
