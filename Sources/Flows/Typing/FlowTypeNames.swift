import CEL
import Catalog
import YAML

/// How checked types are written down: as CEL names in messages and in compiled expressions,
/// as catalog type expressions where a type must be read back (vars, loop elements).
public enum FlowTypeNames {
    /// CEL's name of a type (`int`, `google.protobuf.Timestamp`, `list(string)`); records,
    /// which CEL has no name for, are written structurally (`{name: string, at?: google.protobuf.Timestamp}`)
    /// so that the text does not depend on where the record type came from.
    public static func celName(_ type: CELType) -> String {
        switch type {
        case .list(let element): return "list(\(celName(element)))"
        case .map(let key, let value): return "map(\(celName(key)), \(celName(value)))"
        case .optional(let inner): return "optional_type(\(celName(inner)))"
        case .type(let inner): return inner == .dyn ? "type" : "type(\(celName(inner)))"
        case .record(let record):
            return "{" + record.fields.map { "\($0.name)\($0.optional ? "?" : ""): \(celName($0.type))" }.joined(separator: ", ") + "}"
        case .error, .typeParameter: return "dyn"
        default: return type.description
        }
    }

    /// The catalog type expression of a type (`timestamp`, `list({kind: string})`). Types the
    /// catalog cannot write (optionals, type values) become `dyn`.
    public static func catalogName(_ type: CELType) -> String {
        switch type {
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .bool: return "bool"
        case .string: return "string"
        case .bytes: return "bytes"
        case .null: return "null_type"
        case .timestamp: return "timestamp"
        case .duration: return "duration"
        case .list(let element): return "list(\(catalogName(element)))"
        case .map(let key, let value): return "map(\(catalogName(key)), \(catalogName(value)))"
        case .record(let record):
            return "{" + record.fields.map { "\($0.name)\($0.optional ? "?" : ""): \(catalogName($0.type))" }.joined(separator: ", ") + "}"
        case .dyn, .optional, .type, .typeParameter, .error: return "dyn"
        }
    }

    /// The type as it reads back from its catalog name: what a compiled graph will see.
    /// Checking with this type at lint time makes compiled expressions re-check identically.
    public static func roundTripped(_ type: CELType, recordName: String) -> CELType {
        roundTripped(catalogName: catalogName(type), recordName: recordName)
    }

    /// The CEL type of a catalog name that ``catalogName(_:)`` wrote.
    static func roundTripped(catalogName text: String, recordName: String) -> CELType {
        celType(catalogName: text, recordName: recordName)
    }

    /// A catalog type expression as a CEL type; `dyn` when it does not parse.
    public static func celType(catalogName text: String, recordName: @autoclosure () -> String) -> CELType {
        // The names that places expect most often, without parsing.
        switch text {
        case "dyn": return .dyn
        case "bool": return .bool
        case "string": return .string
        case "int": return .int
        case "double": return .double
        case "list(dyn)": return .list(.dyn)
        default: break
        }
        guard let parsed = try? CatalogType.parse(text) else { return .dyn }
        return CELBridge.type(parsed, name: recordName())
    }
}

/// A literal YAML scalar as a value: how flowc reads scalars outside `${{ }}` where the
/// catalog type does not decide (vars, `json`, `data`): plain `true`/`false` are bools,
/// decimal numbers are ints or doubles, `null`/`~`/empty is null, anything else a string.
public enum FlowLiteral: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    public init(_ scalar: YAMLScalar, as type: CatalogType? = nil) {
        self.init(text: scalar.value, plain: scalar.style == .plain, isNull: scalar.isNull, as: type)
    }

    /// A plain scalar's text, as a catalog default is written (`up`, `1`, `POST`).
    public init(plainText text: String, as type: CatalogType? = nil) {
        self.init(YAMLScalar(value: text, style: .plain), as: type)
    }

    private init(text: String, plain: Bool, isNull: Bool, as type: CatalogType?) {
        if plain, isNull, type != .string {
            self = .null
            return
        }
        switch type {
        case .string?:
            self = .string(text)
            return
        case .double?:
            if plain, let value = Double(text), value.isFinite {
                self = .double(value)
                return
            }
        case .bool?:
            if plain, let meaning = YAML11Bool.meaning(text) {
                self = .bool(meaning)
                return
            }
        default:
            break
        }
        guard plain else {
            self = .string(text)
            return
        }
        if text == "true" || text == "false" {
            self = .bool(text == "true")
        } else if case .value(let integer) = NumberSyntax.integer(text) {
            self = type == .double ? .double(Double(integer)) : .int(integer)
        } else if case .value(let number) = NumberSyntax.number(text) {
            self = .double(number)
        } else {
            self = .string(text)
        }
    }

    public var celType: CELType {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .double: return .double
        case .string: return .string
        }
    }
}
