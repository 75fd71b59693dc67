import Catalog
import Diagnostics
import YAML

/// Actions, their inputs and the keys of control actions.
extension FlowDecoder {
    // MARK: - Actions

    mutating func decodeActionList(_ node: YAMLNode, what: @autoclosure () -> String, isFlowLevel: Bool) -> ActionList {
        guard case .sequence(let items) = node.kind else {
            wrongKind(node, expected: "a sequence of actions", for: what())
            return ActionList(actions: [], span: node.span)
        }
        if items.isEmpty {
            if isFlowLevel {
                error(.flowEmptyActions, "a flow needs at least one action", at: node.span, label: "`actions` is empty")
            } else {
                report(.warning(.flowEmptyNestedList, "`\(what())` has no actions", at: node.span))
            }
        }
        var actions: [FlowAction] = []
        actions.reserveCapacity(items.count)
        for item in items { decodeAction(item, into: &actions) }
        return ActionList(actions: actions, span: node.span)
    }

    /// Decodes the action `node` and appends it to `actions`: made in place there, since
    /// returning the (large) action copied it twice (measured).
    mutating func decodeAction(_ node: YAMLNode, into actions: inout [FlowAction]) {
        let position = nextActionIndex
        nextActionIndex += 1
        let span = node.span
        guard case .mapping(let pairs) = node.kind else {
            error(.flowWrongKind, "expected an action (a mapping with `id` and `type`), found \(foundDescription(node))", at: span)
            actions.append(FlowAction(
                index: position, id: nil, idSpan: nil, type: nil, typeSpan: nil, kind: .unknown, span: span, description: nil,
                inputs: [], condition: nil, runAfter: nil, retry: nil, timeout: nil, controlKeys: []))
            return
        }
        // The parts are gathered in locals and the action is made at the end: setting the
        // fields of a (large) action one by one copied it, which measured as a tenth of decoding.
        let written = ActionKeys(pairs, commonKeys: index.commonKeys.names)
        // Names and spans are kept apart until the action is made: optional `Located` values
        // are copied and destroyed through generic witnesses, which measured as slow.
        var typeName: String?
        var typeSpan: SourceSpan?
        var kind = ActionKind.unknown
        var actionInfo: CatalogIndex.ActionInfo?
        var controlInfo: CatalogIndex.ControlInfo?
        // The type decides which keys are valid, so read it first.
        if let typeNode = written.type, let name = string(typeNode, for: "type") {
            typeName = name
            typeSpan = typeNode.span
            switch index.actionType(named: name) {
            case .action(let known):
                actionInfo = known
                kind = .action(known.action.name)
            case .control(let known):
                controlInfo = known
                kind = .control(known.control.name)
            case nil:
                reportUnknownName(
                    .flowUnknownActionType, "unknown action type `\(name)`", name, candidates: index.actionTypeNames, at: typeNode.span,
                    listing: "action types")
            }
        }
        var idName: String?
        var idSpan: SourceSpan?
        if let idNode = written.id, let name = string(idNode, for: "id") {
            let span = idNode.span
            checkIdentifier(name, at: span, what: "action id")
            idName = name
            idSpan = span
        }
        let context: String
        let allowed: [String]
        if let actionInfo {
            context = actionInfo.context
            allowed = index.commonKeys.names
        } else if let controlInfo {
            context = controlInfo.context
            allowed = controlInfo.allowed
        } else {
            context = "an action"
            allowed = index.commonKeys.names
        }
        let keyed = pairs
        // Reported here with its own message, so the key check passes over it.
        var reportedKey: String?
        if let control = controlInfo?.control, let with = written.with {
            // A common slip: control keys sit on the action itself, not under `with`.
            let keys = control.keys.map { "`\($0.name)`" }.joined(separator: ", ")
            report(Diagnostic(
                .flowUnknownKey, .error, "`\(control.name)` actions take no `with`", at: with.key.span,
                label: "write \(keys) directly on the action"))
            reportedKey = "with"
        }
        let checkUnknown = kind != .unknown
        let present: PresentKeys
        if controlInfo == nil, written.allCommon {
            // Nothing to report, and the first pass found the keys already.
            if !suggestedKeys.isEmpty { suggestedKeys = [] }
            present = written.common
        } else {
            present = checkKeys(keyed, allowed: allowed, context: context, checkUnknown: checkUnknown, passingOver: reportedKey)
        }
        func described() -> String { idName.map { "action `\($0)`" } ?? "this action" }
        requireKeys(
            index.commonKeys.required, present: present, in: keyed, allowed: allowed, checkUnknown: checkUnknown,
            anchor: Self.anchor(pairs, node), context: described())
        if let controlInfo {
            requireKeys(
                controlInfo.keys.required, present: present, in: keyed, allowed: allowed, checkUnknown: checkUnknown,
                anchor: typeSpan ?? Self.anchor(pairs, node), context: described())
        }
        if case .action(let name) = kind, let definition = actionInfo, !definition.inputs.required.isEmpty,
           written.with == nil, !suggestedKeys.contains("with") {
            let required = definition.inputs.required.map { "`\($0)`" }
            let described = described()
            if !required.isEmpty {
                error(.flowMissingKey, "missing required key `with` in \(described)", at: typeSpan ?? Self.anchor(pairs, node),
                      label: "`\(name)` needs \(required.joined(separator: ", "))")
            }
        }
        var writtenKeys: [WrittenKey] = []
        writtenKeys.reserveCapacity(keyed.count)
        var description: String?
        var inputs: [FlowArgument] = []
        var condition: ExpressionSite?
        var runAfter: RunAfter?
        var retry: RetrySpec?
        var timeout: Located<FlowDuration>?
        var controlKeys: [ControlKey] = []
        // Actions and unknown types allow the common keys, whose positions are then known.
        let allowsCommonKeys = controlInfo == nil
        for pair in keyed {
            guard case .scalar(let key) = pair.key.kind, !key.isNullValue else { continue }
            let name = key.value
            let allowedPosition = keyPosition(name, in: allowed)
            if checkUnknown, allowedPosition == nil { continue }
            let value = pair.value
            let keySpan = pair.key.span
            writtenKeys.append(WrittenKey(name: name, span: keySpan))
            if let controlInfo, let key = controlInfo.keys.spec(named: name) {
                if let decoded = decodeControlKey(value, key: key) {
                    controlKeys.append(ControlKey(name: name, keySpan: keySpan, value: decoded))
                }
                continue
            }
            let common = allowsCommonKeys ? allowedPosition : keyPosition(name, in: index.commonKeys.names)
            switch common.map({ index.commonKeyRoles[$0] }) ?? CatalogIndex.commonKey(named: name) {
            case .id, .type:
                break
            case .description:
                description = string(value, for: "description")
            case .with:
                if let actionInfo {
                    inputs = decodeInputs(value, action: actionInfo)
                } else if kind == .unknown, value.mapping == nil {
                    wrongKind(value, expected: "a mapping of inputs", for: "with")
                }
            case .condition:
                condition = bareExpression(value, type: "bool", what: "if")
            case .runAfter:
                runAfter = decodeRunAfter(value, keySpan: keySpan)
            case .retry:
                retry = decodeRetry(value)
            case .timeout:
                if let duration = duration(value, for: "timeout") {
                    if duration.milliseconds == 0 {
                        error(.flowDurationOutOfRange, "`timeout` must be longer than zero", at: value.span)
                    } else {
                        timeout = Located(duration, at: value.span)
                    }
                }
            case .other:
                if let common {
                    _ = self.value(value, for: index.commonKeys.specs[common], what: name)
                }
            }
        }
        actions.append(FlowAction(
            index: position, id: idName, idSpan: idSpan, type: typeName, typeSpan: typeSpan, kind: kind, span: span,
            description: description, inputs: inputs, condition: condition, runAfter: runAfter, retry: retry, timeout: timeout,
            controlKeys: controlKeys, writtenKeys: writtenKeys))
    }

    /// The keys an action's other keys depend on, and which common keys it has, found in
    /// one pass: each look at a pair's key copies it, and the pairs are read enough times.
    private struct ActionKeys {
        var type: YAMLNode?
        var id: YAMLNode?
        var with: YAMLPair?
        /// The common keys written, as ``FlowDecoder/checkKeys(_:allowed:context:checkUnknown:)``
        /// finds them when they are the keys allowed.
        var common = PresentKeys()
        /// Whether every key is a string naming a common key: then checking the keys of an
        /// action that takes the common keys reports nothing.
        var allCommon = true

        /// The first pair of each name, as ``YAMLNode/subscript(_:)`` finds it.
        init(_ pairs: YAMLMapping, commonKeys: [String]) {
            for pair in pairs {
                guard case .scalar(let key) = pair.key.kind else {
                    allCommon = false
                    continue
                }
                let name = key.value
                if key.isNullValue {
                    allCommon = false
                } else if let position = keyPosition(name, in: commonKeys) {
                    common.insert(position)
                } else {
                    allCommon = false
                }
                if type == nil, sameText(name, "type") {
                    type = pair.value
                } else if id == nil, sameText(name, "id") {
                    id = pair.value
                } else if with == nil, sameText(name, "with") {
                    with = pair
                }
            }
        }
    }

    static func article(_ word: String) -> String {
        guard let first = word.lowercased().first else { return "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    mutating func decodeInputs(_ node: YAMLNode, action info: CatalogIndex.ActionInfo) -> [FlowArgument] {
        guard case .mapping(let pairs) = node.kind else {
            wrongKind(node, expected: "a mapping of inputs", for: "with")
            return []
        }
        let inputs = info.inputs
        let present = checkKeys(pairs, allowed: inputs.names, context: info.inputsContext)
        requireKeys(
            inputs.required, present: present, in: pairs, allowed: inputs.names, anchor: Self.anchor(pairs, node),
            context: info.withContext)
        var arguments: [FlowArgument] = []
        arguments.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let key) = pair.key.kind, !key.isNullValue, let position = keyPosition(key.value, in: inputs.names) else {
                continue
            }
            let name = key.value
            let value = value(pair.value, for: inputs.specs[position], what: "with.\(name)")
            arguments.append(FlowArgument(name: name, keySpan: pair.key.span, value: value))
        }
        for group in info.action.exclusive where Self.mayHoldTwo(of: group, present: present, names: inputs.names) {
            var first: (name: String, span: SourceSpan)?
            for pair in pairs {
                guard let name = acceptedKey(pair, allowed: inputs.names), group.contains(name) else { continue }
                guard let given = first else {
                    first = (name, pair.key.span)
                    continue
                }
                report(Diagnostic(
                    .flowExclusiveInputs, .error, "`\(name)` cannot be used together with `\(given.name)`", at: pair.key.span,
                    label: "at most one of " + group.map { "`\($0)`" }.joined(separator: ", ") + " may be given")
                    .with(secondary: "`\(given.name)` given here", at: given.span))
            }
        }
        return arguments
    }

    /// Whether two names of `group` may have been given, as far as `present` tells: most
    /// actions give at most one, and then the pairs need no other look.
    private static func mayHoldTwo(of group: [String], present: PresentKeys, names: [String]) -> Bool {
        var given = 0
        for name in group {
            guard let position = keyPosition(name, in: names) else { continue }
            if position >= PresentKeys.tracked || present.contains(position) { given += 1 }
        }
        return given > 1
    }

    mutating func decodeControlKey(_ node: YAMLNode, key: KeySpec) -> ControlValue? {
        let what = key.name
        switch key.kind {
        case .actions:
            return .actions(decodeActionList(node, what: what, isFlowLevel: false))
        case .cases:
            guard case .mapping(let pairs) = node.kind else {
                wrongKind(node, expected: "a mapping of case values to action lists", for: what)
                return nil
            }
            if pairs.isEmpty { report(.warning(.flowEmptyNestedList, "`\(what)` has no cases", at: node.span)) }
            var cases: [SwitchCase] = []
            cases.reserveCapacity(pairs.count)
            for pair in pairs {
                guard case .scalar(let scalar) = pair.key.kind, !scalar.isNullValue else {
                    error(.flowWrongKind, "expected a string or integer case value, found \(foundDescription(pair.key))", at: pair.key.span)
                    continue
                }
                let list = decodeActionList(pair.value, what: "\(what).\(scalar.value)", isFlowLevel: false)
                cases.append(SwitchCase(value: Located(scalar.value, at: pair.key.span), actions: list))
            }
            return .cases(cases)
        case .branches:
            guard case .sequence(let items) = node.kind else {
                wrongKind(node, expected: "a sequence of action lists", for: what)
                return nil
            }
            if items.isEmpty { report(.warning(.flowEmptyNestedList, "`\(what)` has no branches", at: node.span)) }
            var branches: [ActionList] = []
            branches.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                branches.append(decodeActionList(item, what: "\(what)[\(offset)]", isFlowLevel: false))
            }
            return .branches(branches)
        case .expression:
            return bareExpression(node, type: key.parameter.type, what: what).map(ControlValue.expression)
        case .name:
            guard let name = string(node, for: what) else { return nil }
            guard checkIdentifier(name, at: node.span, what: "`\(what)` name") else { return nil }
            return .name(Located(name, at: node.span))
        case .literal, .other:
            return .value(value(node, for: key, what: what))
        }
    }

    mutating func decodeRunAfter(_ node: YAMLNode, keySpan: SourceSpan) -> RunAfter? {
        guard case .mapping(let pairs) = node.kind else {
            wrongKind(node, expected: "a mapping of action ids to statuses", for: "run_after")
            return nil
        }
        let statuses = index.runAfterStatuses
        var entries: [RunAfterEntry] = []
        entries.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let target) = pair.key.kind, !target.isNullValue else {
                error(.flowWrongKind, "expected an action id in `run_after`, found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            var listed: [Located<String>] = []
            let value = pair.value
            switch value.kind {
            case .sequence(let items):
                if items.isEmpty {
                    error(.flowWrongKind, "`run_after.\(target.value)` needs at least one status", at: value.span,
                          label: "list one or more of " + statuses.map { "`\($0)`" }.joined(separator: ", "))
                }
                listed.reserveCapacity(items.count)
                for item in items {
                    if let status = runAfterStatus(item, target: target.value, statuses: statuses) { listed.append(status) }
                }
            case .scalar(let scalar) where !scalar.isNullValue:
                if let status = runAfterStatus(value, target: target.value, statuses: statuses) { listed.append(status) }
            default:
                wrongKind(value, expected: "a sequence of statuses", for: "run_after.\(target.value)")
            }
            entries.append(RunAfterEntry(target: Located(target.value, at: pair.key.span), statuses: listed))
        }
        return RunAfter(keySpan: keySpan, entries: entries)
    }

    private mutating func runAfterStatus(_ item: YAMLNode, target: String, statuses: [String]) -> Located<String>? {
        guard let status = string(item, for: "run_after.\(target)") else { return nil }
        guard checkEnum(status, values: statuses, at: item.span, what: "run_after.\(target)") else { return nil }
        return Located(status, at: item.span)
    }

    mutating func decodeRetry(_ node: YAMLNode) -> RetrySpec? {
        guard case .mapping(let pairs) = node.kind else {
            wrongKind(node, expected: "a mapping such as `{attempts: 3, backoff: exponential, delay: 1s}`", for: "retry")
            return nil
        }
        var retry = RetrySpec(span: node.span)
        let retryKeys = index.retryKeys
        checkKeys(pairs, allowed: retryKeys, context: "`retry`")
        for pair in pairs {
            guard let name = acceptedKey(pair, allowed: retryKeys) else { continue }
            let value = pair.value
            switch name {
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
                   checkEnum(text, values: Self.backoffValues, at: value.span, what: "retry.backoff") {
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
