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
///
/// The fields live in one shared object, copied on write, as those of ``FlowAction`` do: a
/// flow is handed from the decoder to the scope checker, the typing pass and the linter, and
/// each copy of a struct of fields retained and released them all (measured with callgrind
/// on the 2,000-flow lint corpus: 5M instructions fewer for the whole lint, structural or
/// with typing).
public struct Flow: Sendable {
    /// The flow's name, nil when `flow:` is missing or not a string.
    public var name: Located<String>? {
        get { storage.name }
        set { unique().name = newValue }
    }
    public var file: String {
        get { storage.file }
        set { unique().file = newValue }
    }
    /// The span of the whole document's root mapping.
    public var span: SourceSpan {
        get { storage.span }
        set { unique().span = newValue }
    }
    /// Each key written in the flow's mapping (`flow`, `trigger`, ...), in the order written.
    public var writtenKeys: [WrittenKey] {
        get { storage.writtenKeys }
        _modify { yield &unique().writtenKeys }
    }
    public var description: String? {
        get { storage.description }
        set { unique().description = newValue }
    }
    public var enabled: Bool {
        get { storage.enabled }
        set { unique().enabled = newValue }
    }
    public var concurrency: Located<String>? {
        get { storage.concurrency }
        set { unique().concurrency = newValue }
    }
    public var trigger: TriggerUse? {
        get { storage.trigger }
        _modify { yield &unique().trigger }
    }
    public var conditions: [ExpressionSite] {
        get { storage.conditions }
        _modify { yield &unique().conditions }
    }
    public var vars: [FlowVariable] {
        get { storage.vars }
        _modify { yield &unique().vars }
    }
    public var actions: ActionList {
        get { storage.actions }
        _modify { yield &unique().actions }
    }
    /// Every expression of the flow with the names visible where it stands, in document order.
    public var expressions: [ScopedExpression] {
        get { storage.expressions }
        _modify { yield &unique().expressions }
    }
    /// Dependencies between the flow's actions, by ``FlowAction/index``; nil until checked.
    public var actionGraph: ActionGraph? {
        get { storage.actionGraph }
        set { unique().actionGraph = newValue }
    }

    /// `queued` unless the flow says otherwise (SPEC 2).
    public var effectiveConcurrency: String { storage.concurrency?.value ?? "queued" }

    /// The fields of a flow. Mutable, but never shared while it is changed: the decoder fills
    /// a fresh one before it makes the flow, and a setter of ``Flow`` copies it first unless
    /// the flow holds the only reference, which is what makes it safe to send.
    ///
    /// No field has a default value (optionals are spelled `Optional` for that): an
    /// initializer then writes each field once, where a default would be made and destroyed.
    final class Storage: CopiedOnWrite, @unchecked Sendable {
        var name: Optional<Located<String>>
        var file: String
        var span: SourceSpan
        var writtenKeys: [WrittenKey]
        var description: Optional<String>
        var enabled: Bool
        var concurrency: Optional<Located<String>>
        var trigger: Optional<TriggerUse>
        var conditions: [ExpressionSite]
        var vars: [FlowVariable]
        var actions: ActionList
        var expressions: [ScopedExpression]
        var actionGraph: Optional<ActionGraph>

        /// A flow with nothing read yet; its action list is empty, at the flow's span.
        init(file: String, span: SourceSpan) {
            name = nil
            self.file = file
            self.span = span
            writtenKeys = []
            description = nil
            enabled = true
            concurrency = nil
            trigger = nil
            conditions = []
            vars = []
            actions = ActionList(actions: [], span: span)
            expressions = []
            actionGraph = nil
        }

        /// A copy of `other`, each field initialized once: assigning over default values
        /// destroyed them first, which made a copy cost about 3,000 instructions (measured).
        required init(copying other: Storage) {
            name = other.name
            file = other.file
            span = other.span
            writtenKeys = other.writtenKeys
            description = other.description
            enabled = other.enabled
            concurrency = other.concurrency
            trigger = other.trigger
            conditions = other.conditions
            vars = other.vars
            actions = other.actions
            expressions = other.expressions
            actionGraph = other.actionGraph
        }

        func copy() -> Self { Self(copying: self) }
    }

    private var storage: Storage

    /// The storage, copied first if another flow shares it.
    private mutating func unique() -> Storage { uniqueStorage(&storage) }

    /// The flow whose fields `storage` holds; nothing else may change them afterwards.
    init(storage: Storage) {
        self.storage = storage
    }
}

/// The class that holds the fields of a copy-on-write value (``Flow``, ``FlowAction``).
protocol CopiedOnWrite: AnyObject {
    /// A new object with the same field values.
    func copy() -> Self
}

/// `storage`, replaced by a copy first unless the caller holds the only reference: what a
/// setter of a copy-on-write value changes.
func uniqueStorage<Storage: CopiedOnWrite>(_ storage: inout Storage) -> Storage {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    return storage
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
///
/// The fields live in one shared object, copied on write: an action is handed from its list
/// to the scope checker, the typing pass and lowering, and as a struct of fields each copy
/// retained and released a dozen strings and arrays, and making one in the decoder copied
/// it whole (measured with callgrind on the 2,000-flow lint corpus: copies of actions cost
/// about 360 instructions each, 14,000 of them per lint).
public struct FlowAction: Sendable {
    /// Position in a pre-order walk of the flow's actions; unique within the flow.
    public var index: Int {
        get { storage.index }
        set { unique().index = newValue }
    }
    public var id: Located<String>? {
        get {
            guard let idValue = storage.idValue, let idSpan = storage.idSpan else { return nil }
            return Located(idValue, at: idSpan)
        }
        set {
            let storage = unique()
            storage.idValue = newValue?.value
            storage.idSpan = newValue?.span
        }
    }
    public var type: Located<String>? {
        get {
            guard let typeValue = storage.typeValue, let typeSpan = storage.typeSpan else { return nil }
            return Located(typeValue, at: typeSpan)
        }
        set {
            let storage = unique()
            storage.typeValue = newValue?.value
            storage.typeSpan = newValue?.span
        }
    }
    // Id and type are also readable apart: the checkers read `idValue` and `idSpan` to skip
    // making a `Located`.
    var idValue: String? { storage.idValue }
    var idSpan: SourceSpan? { storage.idSpan }
    public var kind: ActionKind {
        get { storage.kind }
        set { unique().kind = newValue }
    }
    public var span: SourceSpan {
        get { storage.span }
        set { unique().span = newValue }
    }
    /// Each key written in the action's mapping (`id`, `run_after`, `then`, ...), in the order written.
    public var writtenKeys: [WrittenKey] {
        get { storage.writtenKeys }
        _modify { yield &unique().writtenKeys }
    }
    public var description: String? {
        get { storage.description }
        set { unique().description = newValue }
    }
    /// `with:` inputs of an ordinary action, in the order written.
    public var inputs: [FlowArgument] {
        get { storage.inputs }
        _modify { yield &unique().inputs }
    }
    /// `if:` — false makes the action `skipped`.
    public var condition: ExpressionSite? {
        get { storage.condition }
        set { unique().condition = newValue }
    }
    public var runAfter: RunAfter? {
        get { storage.runAfter }
        set { unique().runAfter = newValue }
    }
    public var retry: RetrySpec? {
        get { storage.retry }
        set { unique().retry = newValue }
    }
    public var timeout: Located<FlowDuration>? {
        get { storage.timeout }
        set { unique().timeout = newValue }
    }
    /// The keys of a control action (`condition`, `then`, `cases`, ...), in the order written.
    public var controlKeys: [ControlKey] {
        get { storage.controlKeys }
        _modify { yield &unique().controlKeys }
    }

    /// The fields of an action. Mutable, but never shared while it is changed: the decoder
    /// fills a fresh one before it makes the action, and a setter of ``FlowAction`` copies it
    /// first unless the action holds the only reference, which is what makes it safe to send.
    ///
    /// No field has a default value (optionals are spelled `Optional` for that): an
    /// initializer then writes each field once, where a default would be made and destroyed.
    final class Storage: CopiedOnWrite, @unchecked Sendable {
        var index: Int
        var idValue: Optional<String>
        var idSpan: Optional<SourceSpan>
        var typeValue: Optional<String>
        var typeSpan: Optional<SourceSpan>
        var kind: ActionKind
        var span: SourceSpan
        var writtenKeys: [WrittenKey]
        var description: Optional<String>
        var inputs: [FlowArgument]
        var condition: Optional<ExpressionSite>
        var controlKeys: [ControlKey]
        var runAfter: Optional<RunAfter>
        var retry: Optional<RetrySpec>
        var timeout: Optional<Located<FlowDuration>>

        /// An action with nothing read yet but its position and span.
        init(index: Int, span: SourceSpan) {
            self.index = index
            idValue = nil
            idSpan = nil
            typeValue = nil
            typeSpan = nil
            kind = .unknown
            self.span = span
            writtenKeys = []
            description = nil
            inputs = []
            condition = nil
            controlKeys = []
            runAfter = nil
            retry = nil
            timeout = nil
        }

        /// A copy of `other`, each field initialized once (see the storage of ``Flow``).
        required init(copying other: Storage) {
            index = other.index
            idValue = other.idValue
            idSpan = other.idSpan
            typeValue = other.typeValue
            typeSpan = other.typeSpan
            kind = other.kind
            span = other.span
            writtenKeys = other.writtenKeys
            description = other.description
            inputs = other.inputs
            condition = other.condition
            controlKeys = other.controlKeys
            runAfter = other.runAfter
            retry = other.retry
            timeout = other.timeout
        }

        func copy() -> Self { Self(copying: self) }
    }

    private var storage: Storage

    /// The storage, copied first if another action shares it.
    private mutating func unique() -> Storage { uniqueStorage(&storage) }

    /// The action whose fields `storage` holds; nothing else may change them afterwards.
    init(storage: Storage) {
        self.storage = storage
    }

    public func input(_ name: String) -> FlowArgument? { storage.inputs.first { $0.name == name } }
    public func controlKey(_ name: String) -> ControlKey? { storage.controlKeys.first { $0.name == name } }

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
