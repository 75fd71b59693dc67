import Diagnostics

/// The compiled graph (SPEC section 7): what `flowc compile` writes, `flowc graph` draws and
/// `flowc run` executes. It is plain data, Codable, so that a graph read back from JSON is
/// the same value as the one lowered from YAML; expressions are stored as checked CEL source
/// with their type and span, and the runtime compiles them again when it loads the graph.
public struct FlowGraph: Sendable, Hashable, Codable {
    public static let formatName = "flowc-graph"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The flowc version that wrote it.
    public var compiler: String
    public var flows: [GraphFlow]

    public init(compiler: String, flows: [GraphFlow]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.compiler = compiler
        self.flows = flows
    }
}

/// One flow, lowered.
public struct GraphFlow: Sendable, Hashable, Codable {
    public var name: String
    /// The YAML file it came from (relative as given on the command line).
    public var file: String
    public var enabled: Bool
    /// `single`, `queued` or `parallel`.
    public var concurrency: String
    public var trigger: GraphTrigger
    /// All must hold for a run to start; each of type `bool`.
    public var conditions: [GraphExpression]
    /// Computed in order once per run.
    public var vars: [GraphVariable]
    /// The flow's top-level action list.
    public var actions: GraphScope

    public init(name: String, file: String, enabled: Bool, concurrency: String, trigger: GraphTrigger, conditions: [GraphExpression], vars: [GraphVariable], actions: GraphScope) {
        self.name = name
        self.file = file
        self.enabled = enabled
        self.concurrency = concurrency
        self.trigger = trigger
        self.conditions = conditions
        self.vars = vars
        self.actions = actions
    }
}

/// A catalog trigger lowered to one of the two core kinds.
public struct GraphTrigger: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Fires when the event's type matches and `filter` holds.
        case match
        /// Fires when `value` crosses `threshold` in `direction`, per `key` (SPEC 5.4).
        case threshold
    }

    public var kind: Kind
    /// The catalog trigger it came from (`segment.threshold.crossed`).
    public var catalogName: String
    /// Event-type patterns it listens to; `*` is a wildcard (only the generic trigger uses it).
    public var eventTypes: [String]
    /// The catalog event type that types `event.data`, nil when the data is `dyn`.
    public var eventType: String?
    /// Parameters with defaults applied, as values (`trigger.NAME` in expressions).
    public var parameters: [GraphParameter]
    /// Must hold for the event to fire (match) or to count as an observation (threshold).
    public var filter: GraphExpression?
    /// Threshold kind only.
    public var key: GraphExpression?
    public var value: GraphExpression?
    public var threshold: Double?
    /// `up`, `down` or `any`.
    public var direction: String?
    public var span: GraphSpan

    public init(kind: Kind, catalogName: String, eventTypes: [String], eventType: String?, parameters: [GraphParameter], filter: GraphExpression?, key: GraphExpression? = nil, value: GraphExpression? = nil, threshold: Double? = nil, direction: String? = nil, span: GraphSpan) {
        self.kind = kind
        self.catalogName = catalogName
        self.eventTypes = eventTypes
        self.eventType = eventType
        self.parameters = parameters
        self.filter = filter
        self.key = key
        self.value = value
        self.threshold = threshold
        self.direction = direction
        self.span = span
    }
}

/// A trigger parameter after defaults: a literal value and its catalog type.
public struct GraphParameter: Sendable, Hashable, Codable {
    public var name: String
    /// A catalog type expression (`string`, `list(string)`, `double`).
    public var type: String
    public var value: GraphValue

    public init(name: String, type: String, value: GraphValue) {
        self.name = name
        self.type = type
        self.value = value
    }
}

/// A `vars:` entry with its checked type.
public struct GraphVariable: Sendable, Hashable, Codable {
    public var name: String
    /// The checked type, as a catalog type expression.
    public var type: String
    public var value: GraphValue

    public init(name: String, type: String, value: GraphValue) {
        self.name = name
        self.type = type
        self.value = value
    }
}

/// A position in the YAML file, kept so run-time errors still point at the source.
public struct GraphSpan: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
    public var endLine: Int
    public var endColumn: Int

    public init(file: String, line: Int, column: Int, endLine: Int, endColumn: Int) {
        self.file = file
        self.line = line
        self.column = column
        self.endLine = endLine
        self.endColumn = endColumn
    }

    public init(_ span: SourceSpan) {
        self.init(file: span.file, line: span.start.line, column: span.start.column, endLine: span.end.line, endColumn: span.end.column)
    }
}

/// A checked CEL expression.
public struct GraphExpression: Sendable, Hashable, Codable {
    /// The CEL source, exactly as checked.
    public var source: String
    /// The checked result type, as CEL prints it (`bool`, `list(int)`, `dyn`).
    public var type: String
    public var span: GraphSpan

    public init(source: String, type: String, span: GraphSpan) {
        self.source = source
        self.type = type
        self.span = span
    }
}

/// A value of an action input, a var, a parameter or a control key: literal YAML data, one
/// expression (a whole-scalar `${{ }}` keeps the expression's type), a string template, or a
/// list or map of these.
public indirect enum GraphValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case expression(GraphExpression)
    /// Literal text and expressions, concatenated as CEL's `string()` formats each value.
    case template([TemplateSegment])
    case list([GraphValue])
    /// Keys are strings, in the order written.
    case map([GraphMapEntry])

    public enum TemplateSegment: Sendable, Hashable, Codable {
        case text(String)
        case expression(GraphExpression)
    }
}

public struct GraphMapEntry: Sendable, Hashable, Codable {
    public var key: String
    public var value: GraphValue

    public init(key: String, value: GraphValue) {
        self.key = key
        self.value = value
    }
}

/// A nested action list (SPEC 3): the flow's actions, or a list of a control action.
/// Its actions may refer to actions outside it that finished before it began.
public struct GraphScope: Sendable, Hashable, Codable {
    /// `actions` for the flow's list, else the owning action's path and the key
    /// (`route/then`, `route/cases/gold`, `fanout/branches/1`, `loop/do`).
    public var path: String
    /// For `switch` cases, the case value; for `parallel`, the branch index as text.
    public var label: String?
    /// In the order written: the record and emitted events follow this order.
    public var actions: [GraphAction]
    /// Dependencies between the actions of this scope: an action with no incoming edge
    /// starts when the scope starts. The implicit "previous succeeded" rule is an edge too.
    public var edges: [GraphEdge]

    public init(path: String, label: String? = nil, actions: [GraphAction], edges: [GraphEdge]) {
        self.path = path
        self.label = label
        self.actions = actions
        self.edges = edges
    }
}

/// `to` runs once `from` finished, only if it finished in one of `on` (else `to` is skipped).
public struct GraphEdge: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    /// Statuses: `succeeded`, `failed`, `skipped`, `timed_out`.
    public var on: [String]
    /// True for the implicit sequence edge, false for one written in `run_after`.
    public var implicit: Bool

    public init(from: String, to: String, on: [String], implicit: Bool) {
        self.from = from
        self.to = to
        self.on = on
        self.implicit = implicit
    }
}

/// An action node.
public struct GraphAction: Sendable, Hashable, Codable {
    /// The action's id, or its position (`actions/2`, `route/then/0`): unique in the flow,
    /// used in run records, idempotency keys and emitted event ids.
    public var path: String
    public var id: String?
    /// The catalog type (`http`, `emit`, `if`, `foreach`, ...).
    public var type: String
    public var isControl: Bool
    public var description: String?
    /// `if:`; false makes the action `skipped`.
    public var condition: GraphExpression?
    /// `with:` inputs (ordinary actions) or value keys (control actions: `condition`, `on`,
    /// `items`, `as`, `concurrency`, `status`, `message`), in the order written.
    public var inputs: [GraphInput]
    /// Nested lists of a control action, in the order written.
    public var scopes: [GraphScope]
    public var retry: GraphRetry
    /// Milliseconds; nil means no limit.
    public var timeoutMilliseconds: Int64?
    /// For `set`: the declared type of the var it replaces, for `foreach`: the element type.
    public var valueType: String?
    public var span: GraphSpan

    public init(path: String, id: String?, type: String, isControl: Bool, description: String? = nil, condition: GraphExpression? = nil, inputs: [GraphInput], scopes: [GraphScope] = [], retry: GraphRetry, timeoutMilliseconds: Int64?, valueType: String? = nil, span: GraphSpan) {
        self.path = path
        self.id = id
        self.type = type
        self.isControl = isControl
        self.description = description
        self.condition = condition
        self.inputs = inputs
        self.scopes = scopes
        self.retry = retry
        self.timeoutMilliseconds = timeoutMilliseconds
        self.valueType = valueType
        self.span = span
    }

    public func input(_ name: String) -> GraphValue? { inputs.first { $0.name == name }?.value }
}

public struct GraphInput: Sendable, Hashable, Codable {
    public var name: String
    public var value: GraphValue

    public init(name: String, value: GraphValue) {
        self.name = name
        self.value = value
    }
}

/// Retry policy with the action type's defaults applied.
public struct GraphRetry: Sendable, Hashable, Codable {
    public var attempts: Int
    /// `fixed` or `exponential`.
    public var backoff: String
    public var delayMilliseconds: Int64
    public var maxDelayMilliseconds: Int64

    public init(attempts: Int, backoff: String, delayMilliseconds: Int64, maxDelayMilliseconds: Int64) {
        self.attempts = attempts
        self.backoff = backoff
        self.delayMilliseconds = delayMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }

    public static let once = GraphRetry(attempts: 1, backoff: "fixed", delayMilliseconds: 0, maxDelayMilliseconds: 0)
}
