import Diagnostics
import YAML

/// A value together with the span of the YAML text it came from.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var span: SourceSpan

    public init(_ value: Value, at span: SourceSpan) {
        self.value = value
        self.span = span
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// One flow: one YAML document (SPEC section 2). Decoding keeps going after errors, so a
/// flow with diagnostics is still as complete as its text allows; fields that could not be
/// read are nil or empty.
public struct Flow: Sendable {
    /// The flow's name, nil when `flow:` is missing or not a string.
    public var name: Located<String>?
    public var file: String
    /// The span of the whole document's root mapping.
    public var span: SourceSpan
    /// Each key written in the flow's mapping (`flow`, `trigger`, ...), in the order written.
    public var writtenKeys: [WrittenKey] = []
    public var description: String?
    public var enabled: Bool
    public var concurrency: Located<String>?
    public var trigger: TriggerUse?
    public var conditions: [ExpressionSite]
    public var vars: [FlowVariable]
    public var actions: ActionList
    /// Every expression of the flow with the names visible where it stands, in document order.
    public var expressions: [ScopedExpression]
    /// Dependencies between the flow's actions, by ``FlowAction/index``; nil until checked.
    public var actionGraph: ActionGraph?

    /// `queued` unless the flow says otherwise (SPEC 2).
    public var effectiveConcurrency: String { concurrency?.value ?? "queued" }
}

/// An immutable value on the heap, so that a rarely present large field costs one pointer.
final class Boxed<Value: Sendable>: Sendable {
    let value: Value

    init(_ value: Value) { self.value = value }
}

/// A key written in a mapping, with its span.
public struct WrittenKey: Sendable, Hashable {
    public var name: String
    public var span: SourceSpan

    public init(name: String, span: SourceSpan) {
        self.name = name
        self.span = span
    }
}

extension [WrittenKey] {
    /// The span of each key by name (keys are unique after reading the YAML).
    public var spansByName: [String: SourceSpan] {
        var result: [String: SourceSpan] = [:]
        for key in self where result[key.name] == nil { result[key.name] = key.span }
        return result
    }
}

extension Flow {
    /// The span of each key written in the flow's mapping (`flow`, `trigger`, ...).
    public var keySpans: [String: SourceSpan] {
        get { writtenKeys.spansByName }
        set { writtenKeys = newValue.map { WrittenKey(name: $0.key, span: $0.value) }.sorted { $0.span.start < $1.span.start } }
    }
}

extension FlowAction {
    /// The span of each key written in the action's mapping (`id`, `run_after`, `then`, ...).
    public var keySpans: [String: SourceSpan] {
        get { writtenKeys.spansByName }
        set { writtenKeys = newValue.map { WrittenKey(name: $0.key, span: $0.value) }.sorted { $0.span.start < $1.span.start } }
    }
}

/// The flow's `trigger:` as written.
public struct TriggerUse: Sendable {
    /// The trigger's catalog name (`segment.threshold.crossed`), as written.
    public var type: Located<String>?
    /// Parameters as written, in the order written.
    public var arguments: [FlowArgument]
    /// Catalog defaults of parameters that were not written (`direction: up`).
    public var defaults: [String: String]
    public var span: SourceSpan

    public func argument(_ name: String) -> FlowArgument? { arguments.first { $0.name == name } }
}

/// A named value: a trigger parameter, an action input or a control key holding a value.
public struct FlowArgument: Sendable {
    public var name: String
    public var keySpan: SourceSpan
    public var value: FlowValue
}

/// A `vars:` entry, computed in order once per run.
public struct FlowVariable: Sendable {
    public var name: String
    public var keySpan: SourceSpan
    public var value: FlowValue
}

/// An action list: the flow's `actions`, or a nested list of a control action (a scope).
public struct ActionList: Sendable {
    public var actions: [FlowAction]
    /// The span of the sequence; for a missing list, the span of what should hold it.
    public var span: SourceSpan

    public init(actions: [FlowAction], span: SourceSpan) {
        self.actions = actions
        self.span = span
    }
}

/// One entry of an action list.
public struct FlowAction: Sendable {
    /// Position in a pre-order walk of the flow's actions; unique within the flow.
    public var index: Int
    public var id: Located<String>? {
        get {
            guard let idValue, let idSpan else { return nil }
            return Located(idValue, at: idSpan)
        }
        set {
            idValue = newValue?.value
            idSpan = newValue?.span
        }
    }
    public var type: Located<String>? {
        get {
            guard let typeValue, let typeSpan else { return nil }
            return Located(typeValue, at: typeSpan)
        }
        set {
            typeValue = newValue?.value
            typeSpan = newValue?.span
        }
    }
    // Id and type are kept as plain optionals: an optional `Located` is copied and destroyed
    // through the generic type's witnesses, and actions are copied and freed often (measured).
    // The checkers read `idValue` and `idSpan` to skip making a `Located`.
    private(set) var idValue: String?
    private(set) var idSpan: SourceSpan?
    private var typeValue: String?
    private var typeSpan: SourceSpan?
    public var kind: ActionKind
    public var span: SourceSpan
    /// Each key written in the action's mapping (`id`, `run_after`, `then`, ...), in the order written.
    public var writtenKeys: [WrittenKey] = []
    public var description: String?
    /// `with:` inputs of an ordinary action, in the order written.
    public var inputs: [FlowArgument]
    /// `if:` — false makes the action `skipped`.
    public var condition: ExpressionSite?
    public var runAfter: RunAfter? {
        get { runAfterStorage?.value }
        set { runAfterStorage = newValue.map(Boxed.init) }
    }
    public var retry: RetrySpec? {
        get { retryStorage?.value }
        set { retryStorage = newValue.map(Boxed.init) }
    }
    public var timeout: Located<FlowDuration>? {
        get { timeoutStorage?.value }
        set { timeoutStorage = newValue.map(Boxed.init) }
    }
    /// The keys of a control action (`condition`, `then`, `cases`, ...), in the order written.
    public var controlKeys: [ControlKey]
    // The large parts that many actions lack live out of line: actions are copied into
    // lists and tables often, and were a kilobyte each with these inline. (A condition is
    // one reference already: see ``ExpressionSite``.)
    private var retryStorage: Boxed<RetrySpec>?
    private var runAfterStorage: Boxed<RunAfter>?
    private var timeoutStorage: Boxed<Located<FlowDuration>>?

    init(
        index: Int, id: String?, idSpan: SourceSpan?, type: String?, typeSpan: SourceSpan?, kind: ActionKind, span: SourceSpan,
        description: String?, inputs: [FlowArgument], condition: ExpressionSite?, runAfter: RunAfter?, retry: RetrySpec?,
        timeout: Located<FlowDuration>?, controlKeys: [ControlKey], writtenKeys: [WrittenKey] = []
    ) {
        self.index = index
        self.writtenKeys = writtenKeys
        idValue = id
        self.idSpan = idSpan
        typeValue = type
        self.typeSpan = typeSpan
        self.kind = kind
        self.span = span
        self.description = description
        self.inputs = inputs
        self.controlKeys = controlKeys
        self.condition = condition
        retryStorage = retry.map(Boxed.init)
        runAfterStorage = runAfter.map(Boxed.init)
        timeoutStorage = timeout.map(Boxed.init)
    }

    public func input(_ name: String) -> FlowArgument? { inputs.first { $0.name == name } }
    public func controlKey(_ name: String) -> ControlKey? { controlKeys.first { $0.name == name } }

    /// The nested action lists of a control action, in the order written.
    public var nestedLists: [ActionList] {
        controlKeys.flatMap { key -> [ActionList] in
            switch key.value {
            case .actions(let list): return [list]
            case .cases(let cases): return cases.map(\.actions)
            case .branches(let lists): return lists
            case .expression, .name, .value: return []
            }
        }
    }

    /// How the action is named in messages: its id, or its position.
    public var displayName: String {
        if let idValue { return idValue }
        return "(action at line \(span.start.line))"
    }
}

public enum ActionKind: Sendable, Hashable {
    /// An action of the catalog (`http`, `emit`, ...).
    case action(String)
    /// A control action of the catalog (`if`, `foreach`, ...).
    case control(String)
    /// A missing or unknown type (already diagnosed).
    case unknown
}

/// A key of a control action and what it holds, as its catalog `kind` says.
public struct ControlKey: Sendable {
    public var name: String
    public var keySpan: SourceSpan
    public var value: ControlValue
}

public enum ControlValue: Sendable {
    case expression(ExpressionSite)
    case actions(ActionList)
    case cases([SwitchCase])
    case branches([ActionList])
    /// A name the control action binds (`foreach.as`).
    case name(Located<String>)
    case value(FlowValue)
}

/// One `switch` case: the value it matches and its action list.
public struct SwitchCase: Sendable {
    public var value: Located<String>
    public var actions: ActionList
}

/// `run_after: {ID: [STATUS...]}`.
public struct RunAfter: Sendable {
    public var keySpan: SourceSpan
    public var entries: [RunAfterEntry]
}

public struct RunAfterEntry: Sendable {
    public var target: Located<String>
    public var statuses: [Located<String>]
}

/// `retry:`; absent fields take the action type's defaults.
public struct RetrySpec: Sendable {
    public var span: SourceSpan
    public var attempts: Located<Int>?
    public var backoff: Located<String>?
    public var delay: Located<FlowDuration>?
    public var maxDelay: Located<FlowDuration>?
}

/// A YAML value whose scalars are either literals or expression sites. An expression site is
/// one reference and lists and maps hold arrays, so no case needs a box of its own.
public enum FlowValue: Sendable {
    case null(SourceSpan)
    case literal(YAMLScalar, SourceSpan)
    case expression(ExpressionSite)
    case list([FlowValue], SourceSpan)
    case map([MapEntry], SourceSpan)

    public struct MapEntry: Sendable {
        public var key: Located<String>
        public var value: FlowValue
    }

    public var span: SourceSpan {
        switch self {
        case .null(let span), .literal(_, let span), .list(_, let span), .map(_, let span): return span
        case .expression(let site): return site.span
        }
    }

    /// Every expression site inside this value, in document order.
    public var expressionSites: [ExpressionSite] {
        switch self {
        case .null, .literal: return []
        case .expression(let site): return [site]
        case .list(let items, _): return items.flatMap(\.expressionSites)
        case .map(let entries, _): return entries.flatMap(\.value.expressionSites)
        }
    }
}
