import Catalog
import Diagnostics
import YAML

/// Actions, their inputs and the keys of control actions.
extension FlowDecoder {
    // MARK: - Actions

    mutating func decodeActionList(_ node: YAMLNode, what: @autoclosure () -> String, isFlowLevel: Bool) -> ActionList {
        guard let items = node.sequence else {
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

    /// Decodes the action `node` and appends it to `actions`.
    mutating func decodeAction(_ node: YAMLNode, into actions: inout [FlowAction]) {
        let position = nextActionIndex
        nextActionIndex += 1
        // The fields are written straight into the action's storage as they are read: passing
        // them to an initializer copied each (large, optional) part and destroyed the
        // original through generic witnesses (measured: about 1,000 instructions an action).
        let action = FlowAction.Storage(index: position, span: node.span)
        guard let pairs = node.mapping else {
            error(.flowWrongKind, "expected an action (a mapping with `id` and `type`), found \(foundDescription(node))", at: action.span)
            actions.append(FlowAction(storage: action))
            return
        }
        let written = ActionKeys(pairs, commonKeys: index.commonKeys.names, roles: index.commonKeyRoles)
        var typeNode: YAMLNode?
        var kind = ActionKind.unknown
        var actionInfo: CatalogIndex.ActionInfo?
        var controlInfo: CatalogIndex.ControlInfo?
        // The type decides which keys are valid, so read it first.
        if let typePair = written.type, case let typeValue = pairs[typePair].value, let name = string(typeValue, for: "type") {
            action.typeValue = name
            action.typeSpan = typeValue.span
            typeNode = typeValue
            switch index.actionType(named: name) {
            case .action(let known):
                actionInfo = known
                kind = .action(known.action.name)
            case .control(let known):
                controlInfo = known
                kind = .control(known.control.name)
            case nil:
                reportUnknownName(
                    .flowUnknownActionType, "unknown action type `\(name)`", name, candidates: index.actionTypeNames, at: typeValue.span,
                    listing: "action types")
            }
        }
        if let idPair = written.id, case let idValue = pairs[idPair].value, let name = string(idValue, for: "id") {
            let span = idValue.span
            checkIdentifier(name, at: span, what: "action id")
            action.idValue = name
            action.idSpan = span
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
        // Reported here with its own message, so the key check passes over it.
        var reportedKey: String?
        if let control = controlInfo?.control, let withPair = written.with {
            let with = pairs[withPair]
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
            present = checkKeys(pairs, allowed: allowed, context: context, checkUnknown: checkUnknown, passingOver: reportedKey)
        }
        func described() -> String { action.idValue.map { "action `\($0)`" } ?? "this action" }
        requireKeys(
            index.commonKeys.required, present: present, in: pairs, allowed: allowed, checkUnknown: checkUnknown,
            anchor: Self.anchor(pairs, node), context: described())
        if let controlInfo {
            requireKeys(
                controlInfo.keys.required, present: present, in: pairs, allowed: allowed, checkUnknown: checkUnknown,
                anchor: typeNode?.span ?? Self.anchor(pairs, node), context: described())
        }
        if case .action(let name) = kind, let definition = actionInfo, !definition.inputs.required.isEmpty,
           written.with == nil, !suggestedKeys.contains("with") {
            let required = definition.inputs.required.map { "`\($0)`" }
            let described = described()
            if !required.isEmpty {
                error(.flowMissingKey, "missing required key `with` in \(described)", at: typeNode?.span ?? Self.anchor(pairs, node),
                      label: "`\(name)` needs \(required.joined(separator: ", "))")
            }
        }
        action.kind = kind
        // The lists are gathered in locals and stored once: appending to a field of the
        // storage would check exclusive access on every append.
        var writtenKeys: [WrittenKey] = []
        writtenKeys.reserveCapacity(pairs.count)
        var controlKeys: [ControlKey] = []
        // Actions and unknown types allow the common keys, whose positions are then known.
        let allowsCommonKeys = controlInfo == nil
        for pair in pairs {
            guard let name = pair.keyText else { continue }
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
                action.description = string(value, for: "description")
            case .with:
                if let actionInfo {
                    action.inputs = decodeInputs(value, action: actionInfo)
                } else if kind == .unknown, value.mapping == nil {
                    wrongKind(value, expected: "a mapping of inputs", for: "with")
                }
            case .condition:
                action.condition = bareExpression(value, type: "bool", what: "if")
            case .runAfter:
                action.runAfter = decodeRunAfter(value, keySpan: keySpan)
            case .retry:
                action.retry = decodeRetry(value)
            case .timeout:
                if let duration = duration(value, for: "timeout") {
                    if duration.milliseconds == 0 {
                        error(.flowDurationOutOfRange, "`timeout` must be longer than zero", at: value.span)
                    } else {
                        action.timeout = Located(duration, at: value.span)
                    }
                }
            case .other:
                if let common {
                    _ = self.value(value, for: index.commonKeys.specs[common], what: name)
                }
            }
        }
        action.writtenKeys = writtenKeys
        action.controlKeys = controlKeys
        actions.append(FlowAction(storage: action))
    }

    /// The keys an action's other keys depend on, and which common keys it has, found in
    /// one pass: each look at a pair's key copies it, and the pairs are read enough times.
    ///
    /// The keys are kept as positions in the mapping, not as nodes: a node holds its tree,
    /// and this record was copied and destroyed enough to show (measured: 1M instructions).
    private struct ActionKeys {
        var type: Int?
        var id: Int?
        var with: Int?
        /// The common keys written, as ``FlowDecoder/checkKeys(_:allowed:context:checkUnknown:)``
        /// finds them when they are the keys allowed.
        var common = PresentKeys()
        /// Whether every key is a string naming a common key: then checking the keys of an
        /// action that takes the common keys reports nothing.
        var allCommon = true

        /// The first pair of each name, as ``YAMLNode/subscript(_:)`` finds it. `roles` are
        /// those of `commonKeys`: a common key's role says whether it is `type`, `id` or
        /// `with` without comparing its text again (measured: a fifth of this pass).
        init(_ pairs: YAMLMapping, commonKeys: [String], roles: [CatalogIndex.CommonKey]) {
            for position in pairs.indices {
                let pair = pairs[position]
                // A key that is not a string (a collection, or `~`, `null`, empty) is none
                // of the names below.
                guard let name = pair.keyText else {
                    allCommon = false
                    continue
                }
                let role: CatalogIndex.CommonKey
                if let common = keyPosition(name, in: commonKeys), common < roles.count {
                    self.common.insert(common)
                    role = roles[common]
                } else {
                    allCommon = false
                    // A control action's own key, or one the catalog lacks.
                    role = sameText(name, "type") ? .type : sameText(name, "id") ? .id : sameText(name, "with") ? .with : .other
                }
                switch role {
                case .type where type == nil: type = position
                case .id where id == nil: id = position
                case .with where with == nil: with = position
                default: break
                }
            }
        }
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
        let inputs = info.inputs
        let present = checkKeys(pairs, allowed: inputs.names, context: info.inputsContext)
        requireKeys(
            inputs.required, present: present, in: pairs, allowed: inputs.names, anchor: Self.anchor(pairs, node),
            context: info.withContext)
        var arguments: [FlowArgument] = []
        arguments.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.keyText, let position = keyPosition(name, in: inputs.names) else { continue }
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
            guard let pairs = node.mapping else {
                wrongKind(node, expected: "a mapping of case values to action lists", for: what)
                return nil
            }
            if pairs.isEmpty { report(.warning(.flowEmptyNestedList, "`\(what)` has no cases", at: node.span)) }
            var cases: [SwitchCase] = []
            cases.reserveCapacity(pairs.count)
            for pair in pairs {
                guard let caseValue = pair.keyText else {
                    error(.flowWrongKind, "expected a string or integer case value, found \(foundDescription(pair.key))", at: pair.key.span)
                    continue
                }
                let list = decodeActionList(pair.value, what: "\(what).\(caseValue)", isFlowLevel: false)
                cases.append(SwitchCase(value: Located(caseValue, at: pair.key.span), actions: list))
            }
            return .cases(cases)
        case .branches:
            guard let items = node.sequence else {
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
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping of action ids to statuses", for: "run_after")
            return nil
        }
        let statuses = index.runAfterStatuses
        var entries: [RunAfterEntry] = []
        entries.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let target = pair.keyText else {
                error(.flowWrongKind, "expected an action id in `run_after`, found \(foundDescription(pair.key))", at: pair.key.span)
                continue
            }
            var listed: [Located<String>] = []
            let value = pair.value
            if let items = value.sequence {
                if items.isEmpty {
                    error(.flowWrongKind, "`run_after.\(target)` needs at least one status", at: value.span,
                          label: "list one or more of " + statuses.map { "`\($0)`" }.joined(separator: ", "))
                }
                listed.reserveCapacity(items.count)
                for item in items {
                    if let status = runAfterStatus(item, target: target, statuses: statuses) { listed.append(status) }
                }
            } else if value.nonNullText != nil {
                if let status = runAfterStatus(value, target: target, statuses: statuses) { listed.append(status) }
            } else {
                wrongKind(value, expected: "a sequence of statuses", for: "run_after.\(target)")
            }
            entries.append(RunAfterEntry(target: Located(target, at: pair.key.span), statuses: listed))
        }
        return RunAfter(keySpan: keySpan, entries: entries)
    }

    private mutating func runAfterStatus(_ item: YAMLNode, target: String, statuses: [String]) -> Located<String>? {
        guard let status = string(item, for: "run_after.\(target)") else { return nil }
        guard checkEnum(status, values: statuses, at: item.span, what: "run_after.\(target)") else { return nil }
        return Located(status, at: item.span)
    }

    mutating func decodeRetry(_ node: YAMLNode) -> RetrySpec? {
        guard let pairs = node.mapping else {
            wrongKind(node, expected: "a mapping such as `{attempts: 3, backoff: exponential, delay: 1s}`", for: "retry")
            return nil
        }
        var retry = RetrySpec(span: node.span)
        let retryKeys = index.retryKeys
        checkKeys(pairs, allowed: retryKeys, context: "`retry`")
        for pair in pairs {
            guard let position = pair.keyText.flatMap({ keyPosition($0, in: retryKeys) }) else { continue }
            let value = pair.value
            switch index.retryKeyRoles[position] {
            case .attempts:
                guard let attempts = integer(value, for: "retry.attempts") else { break }
                if attempts < 1 {
                    error(.flowInvalidRetry, "`retry.attempts` must be at least 1, found \(attempts)", at: value.span,
                          label: "the number of tries, the first one included")
                } else {
                    retry.attempts = Located(Int(clamping: attempts), at: value.span)
                }
            case .backoff:
                if let text = string(value, for: "retry.backoff"),
                   checkEnum(text, values: Self.backoffValues, at: value.span, what: "retry.backoff") {
                    retry.backoff = Located(text, at: value.span)
                }
            case .delay:
                retry.delay = duration(value, for: "retry.delay").map { Located($0, at: value.span) }
            case .maxDelay:
                retry.maxDelay = duration(value, for: "retry.max_delay").map { Located($0, at: value.span) }
            case .other:
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
