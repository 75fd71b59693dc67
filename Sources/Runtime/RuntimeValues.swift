import CEL
import Catalog
import Diagnostics
import Foundation
import Graph

/// Conversions between CEL values, graph literals and the JSON that flowc writes.
public enum RuntimeValues {
    /// A CEL value as JSON: timestamps as RFC 3339 strings, durations as `1.5s`, bytes as
    /// base64, records as objects of their present fields, non-finite doubles as strings.
    public static func json(_ value: CELValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(Int(number))
        case .uint(let number): return number <= UInt64(Int.max) ? .int(Int(number)) : .double(Double(number))
        case .double(let number): return number.isFinite ? .double(number) : .string(CELLiteral.format(double: number))
        case .string(let text): return .string(text)
        case .bytes(let bytes): return .string(Data(bytes).base64EncodedString())
        case .timestamp(let timestamp): return .string(timestamp.rfc3339)
        case .duration(let duration): return .string(duration.text)
        case .list(let items): return .array(items.map(json))
        case .map(let map):
            return .object(map.entries.map { entry in
                let key: String
                if case .string(let text) = entry.key { key = text } else { key = CELLiteral.format(entry.key) }
                return (key, json(entry.value))
            })
        case .record(let record):
            var fields: [(String, JSONValue)] = []
            for field in record.type.fields {
                if let fieldValue = record.fields[field.slot] { fields.append((field.name, json(fieldValue))) }
            }
            return .object(fields)
        case .type(let type): return .string(type.runtimeName)
        case .optional(let inner): return inner.map(json) ?? .null
        case .error(let error): return .string(error.message)
        }
    }

    /// A string-keyed CEL map.
    public static func map(_ entries: [(String, CELValue)]) -> CELValue {
        .map(CELMap(strings: entries))
    }

    /// Formats a value as CEL's `string()` does, for string templates (SPEC 4.2).
    public static func templateText(_ value: CELValue) -> Result<String, CELEvaluationError> {
        switch value {
        case .string(let text): return .success(text)
        case .error(let error): return .failure(error)
        default:
            switch StringConversion.shared.format(value) {
            case .string(let text): return .success(text)
            case .error(let error): return .failure(error)
            default: return .failure(CELEvaluationError("cannot format \(value.celType) in a template"))
            }
        }
    }

    /// A literal of a catalog type from graph data: ints widen to doubles where a double is
    /// declared, lists and maps convert element-wise. Expressions are not allowed here.
    public static func literal(_ value: GraphValue, as type: CatalogType?) -> CELValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number):
            if case .double = type { return .double(Double(number)) }
            if case .uint = type, number >= 0 { return .uint(UInt64(number)) }
            return .int(number)
        case .double(let number): return .double(number)
        case .string(let text):
            if case .timestamp = type, let timestamp = CELTimestamp.parse(text) { return .timestamp(timestamp) }
            if case .duration = type, let duration = CELDuration.parse(text) { return .duration(duration) }
            return .string(text)
        case .list(let items):
            var element: CatalogType?
            if case .list(let declared) = type { element = declared }
            return .list(items.map { literal($0, as: element) })
        case .map(let entries):
            var fieldTypes: [String: CatalogType] = [:]
            var valueType: CatalogType?
            if case .record(let fields) = type { for field in fields { fieldTypes[field.name] = field.type } }
            if case .map(_, let declared) = type { valueType = declared }
            return map(entries.map { ($0.key, literal($0.value, as: fieldTypes[$0.key] ?? valueType)) })
        case .expression(let expression): return .string(expression.source)
        case .template(let segments):
            return .string(segments.map { segment in
                switch segment {
                case .text(let text): return text
                case .expression(let expression): return "${{ \(expression.source) }}"
                }
            }.joined())
        }
    }
}

/// `string(x)` compiled once: the exact formatting CEL gives each value kind.
private final class StringConversion: Sendable {
    static let shared = StringConversion()
    let environment: CELEnvironment
    let program: CELProgram?

    private init() {
        var environment = CELEnvironment()
        environment.declare("x", type: .dyn)
        self.environment = environment
        self.program = try? environment.compile("string(x)").get()
    }

    func format(_ value: CELValue) -> CELValue {
        guard let program else { return .string(CELLiteral.format(value)) }
        return program.evaluate(["x": value], in: environment)
    }
}
