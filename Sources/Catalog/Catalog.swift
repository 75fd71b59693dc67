import Foundation

/// The catalog of SPEC section 5 — event types, triggers, actions and control actions — read
/// from `Grammar/catalog.json`, which the binary embeds. Code never switches on a trigger or
/// event name: what a trigger listens to, its parameters and how it lowers are all here.
public struct Catalog: Sendable, Decodable {
    public var version: Int
    /// The CloudEvent attributes every event has (`id`, `source`, `type`, `subject?`, `time?`).
    public var envelope: [Field]
    public var events: [EventType]
    public var triggers: [Trigger]
    public var actions: [Action]
    public var controls: [Control]
    /// Keys every action may have besides those of its type (`id`, `if`, `run_after`, ...).
    public var actionKeys: [Parameter]
    /// Keys of a flow document (`flow`, `trigger`, `actions`, ...).
    public var flowKeys: [Parameter]

    public func event(_ type: String) -> EventType? { events.first { $0.type == type } }
    public func trigger(_ name: String) -> Trigger? { triggers.first { $0.name == name } }
    public func action(_ name: String) -> Action? { actions.first { $0.name == name } }
    public func control(_ name: String) -> Control? { controls.first { $0.name == name } }

    /// Every action type name, ordinary and control, for "did you mean".
    public var actionTypeNames: [String] { actions.map(\.name) + controls.map(\.name) }

    /// The catalog that ships with flowc. The embedded data is checked by the test suite; should
    /// it ever fail to load, this is an empty catalog and ``standardLoadError`` says why, so the
    /// command line can report a build defect instead of trapping.
    public static var standard: Catalog { embedded.catalog }

    /// Why the embedded catalog could not be loaded, nil when it loaded.
    public static var standardLoadError: String? { embedded.error }

    private static let embedded: (catalog: Catalog, error: String?) = {
        do {
            return (try load(Data(PackageResources.catalog_json)), nil)
        } catch {
            let empty = Catalog(version: 0, envelope: [], events: [], triggers: [], actions: [], controls: [], actionKeys: [], flowKeys: [])
            return (empty, "the embedded Grammar/catalog.json is invalid: \(error)")
        }
    }()

    public static func load(_ data: Data) throws -> Catalog {
        let catalog = try JSONDecoder().decode(Catalog.self, from: data)
        try catalog.validate()
        return catalog
    }

    /// Checks what the decoder cannot: type expressions parse, references resolve.
    public func validate() throws {
        func check(_ text: String, _ context: String) throws {
            do { _ = try CatalogType.parse(text) } catch {
                throw CatalogError("\(context): \(error)")
            }
        }
        for field in envelope { try check(field.type, "envelope.\(field.name)") }
        for event in events {
            for field in event.fields { try check(field.type, "event \(event.type).\(field.name)") }
        }
        for trigger in triggers {
            if let listens = trigger.event, event(listens) == nil {
                throw CatalogError("trigger \(trigger.name) listens to unknown event type \(listens)")
            }
            for parameter in trigger.parameters { try check(parameter.type, "trigger \(trigger.name).\(parameter.name)") }
            for field in trigger.derived { try check(field.type, "trigger \(trigger.name) derived \(field.name)") }
        }
        for action in actions {
            for input in action.inputs { try check(input.type, "action \(action.name).\(input.name)") }
            for field in action.output { try check(field.type, "action \(action.name) output \(field.name)") }
        }
    }
}

public struct CatalogError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A typed field of an event payload, an action output or a derived trigger value.
public struct Field: Sendable, Decodable, Hashable {
    public var name: String
    /// A type expression (see ``CatalogType``).
    public var type: String
    public var optional: Bool
    public var description: String
    /// Allowed values of a string field, documentation and lint hints.
    public var values: [String]?

    enum CodingKeys: String, CodingKey { case name, type, optional, description, values }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(String.self, forKey: .type)
        optional = try container.decodeIfPresent(Bool.self, forKey: .optional) ?? false
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        values = try container.decodeIfPresent([String].self, forKey: .values)
    }
}

/// A trigger parameter, an action input, or a key of a flow or action.
public struct Parameter: Sendable, Decodable, Hashable {
    public var name: String
    public var type: String
    public var required: Bool
    public var description: String
    /// Allowed values for an enum-like string parameter.
    public var values: [String]?
    /// The default as YAML would write it (`up`, `30s`), nil when there is none.
    public var defaultValue: String?
    /// A `list(T)` parameter that also takes one `T` (`datasource: Sales` or `[Sales, CRM]`).
    public var acceptsSingle: Bool
    /// How the value is written: `literal` (a YAML value of `type`), `expression` (CEL, typed
    /// `type`), `template` (literal or `${{ }}`), `actions` (a nested action list), `cases`,
    /// `branches`, `statuses` (run_after), `name` (an identifier).
    public var kind: String

    enum CodingKeys: String, CodingKey {
        case name, type, required, description, values, acceptsSingle, kind
        case defaultValue = "default"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "dyn"
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        values = try container.decodeIfPresent([String].self, forKey: .values)
        defaultValue = try container.decodeIfPresent(String.self, forKey: .defaultValue)
        acceptsSingle = try container.decodeIfPresent(Bool.self, forKey: .acceptsSingle) ?? false
        kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "template"
    }
}

public struct EventType: Sendable, Decodable, Hashable {
    public var type: String
    public var description: String
    public var fields: [Field]
}

/// How a catalog trigger lowers to one of the two core trigger kinds.
public struct Lowering: Sendable, Decodable, Hashable {
    /// `match` or `threshold`.
    public var kind: String
    /// CEL over `event` and `trigger` that must hold for the trigger to fire (match) or for the
    /// event to count as an observation (threshold).
    public var filter: String?
    /// For `threshold`: CEL for the key (`event.data.segment`) and the watched value.
    public var key: String?
    public var value: String?
    /// The type of the watched value (`int`, `double`), for `trigger.previous`/`current`.
    public var valueType: String?
    /// For the generic trigger: the parameter that holds the event-type pattern, and the
    /// parameter that holds the user's own filter expression.
    public var eventTypeParameter: String?
    public var filterParameter: String?
}

public struct Trigger: Sendable, Decodable, Hashable {
    public var name: String
    public var description: String
    /// The event type it listens to, nil for the generic `event` trigger.
    public var event: String?
    public var parameters: [Parameter]
    /// Values the trigger adds to `trigger` beyond its parameters (`previous`, `current`, ...).
    public var derived: [Field]
    public var lowering: Lowering

    enum CodingKeys: String, CodingKey { case name, description, event, parameters, derived, lowering }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        event = try container.decodeIfPresent(String.self, forKey: .event)
        parameters = try container.decodeIfPresent([Parameter].self, forKey: .parameters) ?? []
        derived = try container.decodeIfPresent([Field].self, forKey: .derived) ?? []
        lowering = try container.decode(Lowering.self, forKey: .lowering)
    }
}

public struct RetryPolicy: Sendable, Decodable, Hashable {
    public var attempts: Int
    public var backoff: String
    public var delay: String
    public var maxDelay: String

    enum CodingKeys: String, CodingKey {
        case attempts, backoff, delay
        case maxDelay = "max_delay"
    }
}

public struct Action: Sendable, Decodable, Hashable {
    public var name: String
    public var description: String
    public var inputs: [Parameter]
    /// Fields of `actions.ID.output`; empty when the action has no output.
    public var output: [Field]
    /// Groups of inputs of which at most one may be given (`json` and `body`).
    public var exclusive: [[String]]
    public var timeout: String?
    public var retry: RetryPolicy?

    enum CodingKeys: String, CodingKey { case name, description, inputs, output, exclusive, timeout, retry }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        inputs = try container.decodeIfPresent([Parameter].self, forKey: .inputs) ?? []
        output = try container.decodeIfPresent([Field].self, forKey: .output) ?? []
        exclusive = try container.decodeIfPresent([[String]].self, forKey: .exclusive) ?? []
        timeout = try container.decodeIfPresent(String.self, forKey: .timeout)
        retry = try container.decodeIfPresent(RetryPolicy.self, forKey: .retry)
    }
}

/// A control action (`if`, `switch`, `foreach`, `parallel`, `scope`, `terminate`): its keys
/// sit directly on the action, beside `id` and `type`.
public struct Control: Sendable, Decodable, Hashable {
    public var name: String
    public var description: String
    public var keys: [Parameter]
}
