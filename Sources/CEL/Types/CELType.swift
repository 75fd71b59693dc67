/// A CEL type as the checker sees it. Type parameters (`A`, `K`, `V`) only appear in function
/// declarations; after checking, every node's type is free of them (unbound ones become `dyn`).
public indirect enum CELType: Sendable, Hashable, CustomStringConvertible {
    case int, uint, double, bool, string, bytes, null, timestamp, duration, dyn
    case list(CELType)
    case map(CELType, CELType)
    /// The type of a type value: `type(int)` is the type of the value `int`. `type(dyn)` is any type.
    case type(CELType)
    case record(CELRecordType)
    /// `optional_type(T)`: a value that may be absent, from `a.?field`, `m[?key]` and
    /// `optional.of(x)`; read with `hasValue()`, `value()`, `orValue(default)`.
    case optional(CELType)
    case typeParameter(String)
    /// The type of an expression that already failed to check; it matches anything so one
    /// mistake gives one diagnostic.
    case error

    public var description: String {
        switch self {
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .bool: return "bool"
        case .string: return "string"
        case .bytes: return "bytes"
        case .null: return "null_type"
        case .timestamp: return "google.protobuf.Timestamp"
        case .duration: return "google.protobuf.Duration"
        case .dyn: return "dyn"
        case .list(let element): return "list(\(element))"
        case .map(let key, let value): return "map(\(key), \(value))"
        case .type(let inner): return inner == .dyn ? "type" : "type(\(inner))"
        case .record(let record): return record.name
        case .optional(let inner): return "optional_type(\(inner))"
        case .typeParameter(let name): return name
        case .error: return "*error*"
        }
    }

    /// The name a type value prints as (`type(x)` of a list is `list`, not `list(int)`).
    public var runtimeName: String {
        switch self {
        case .list: return "list"
        case .map: return "map"
        case .type: return "type"
        case .optional: return "optional_type"
        default: return description
        }
    }

    var isDynOrError: Bool {
        switch self {
        case .dyn, .error: return true
        default: return false
        }
    }

    /// Whether a value of type `other` may stand where this type is expected (`dyn` on either
    /// side always may). For callers that require a type of a whole expression, like `bool`
    /// for conditions.
    public func accepts(_ other: CELType) -> Bool {
        var bindings: [String: CELType] = [:]
        return CELChecker.isAssignable(self, other, &bindings)
    }

    /// Type parameters replaced by their bindings, unbound ones by `dyn`.
    func substituting(_ bindings: [String: CELType]) -> CELType {
        switch self {
        case .typeParameter(let name): return bindings[name]?.substituting(bindings) ?? .dyn
        case .list(let element): return .list(element.substituting(bindings))
        case .map(let key, let value): return .map(key.substituting(bindings), value.substituting(bindings))
        case .type(let inner): return .type(inner.substituting(bindings))
        case .optional(let inner): return .optional(inner.substituting(bindings))
        default: return self
        }
    }
}

/// A named record with typed fields, some optional: how the flows layer describes event data,
/// trigger parameters and action outputs. Each field has a slot; record values store their
/// fields in slot order so a checked field access is an array index.
public final class CELRecordType: Sendable, Hashable, CustomStringConvertible {
    public struct Field: Sendable, Hashable {
        public let name: String
        public let type: CELType
        public let optional: Bool
        public let slot: Int
    }

    public let name: String
    public let fields: [Field]
    private let slotsByName: [String: Int]

    /// `fields` are (name, type, optional); their order gives the slots.
    public init(name: String, fields: [(name: String, type: CELType, optional: Bool)]) {
        self.name = name
        var built: [Field] = []
        var slots: [String: Int] = [:]
        // A repeated name keeps its first declaration.
        for field in fields where slots[field.name] == nil {
            slots[field.name] = built.count
            built.append(Field(name: field.name, type: field.type, optional: field.optional, slot: built.count))
        }
        self.fields = built
        self.slotsByName = slots
    }

    public func field(named name: String) -> Field? {
        slotsByName[name].map { fields[$0] }
    }

    public var description: String { name }

    public static func == (lhs: CELRecordType, rhs: CELRecordType) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
