import Foundation

/// A type written in the catalog: CEL's type names plus records for payloads.
/// Grammar: `int | uint | double | bool | string | bytes | timestamp | duration | dyn |
/// null_type | list(T) | map(K, V) | {name: T, other?: T}`.
public indirect enum CatalogType: Sendable, Hashable, CustomStringConvertible {
    case int, uint, double, bool, string, bytes, timestamp, duration, dyn, null
    case list(CatalogType)
    case map(CatalogType, CatalogType)
    case record([RecordField])

    public struct RecordField: Sendable, Hashable {
        public var name: String
        public var type: CatalogType
        public var optional: Bool

        public init(name: String, type: CatalogType, optional: Bool) {
            self.name = name
            self.type = type
            self.optional = optional
        }
    }

    public var description: String {
        switch self {
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .bool: return "bool"
        case .string: return "string"
        case .bytes: return "bytes"
        case .timestamp: return "timestamp"
        case .duration: return "duration"
        case .dyn: return "dyn"
        case .null: return "null_type"
        case .list(let element): return "list(\(element))"
        case .map(let key, let value): return "map(\(key), \(value))"
        case .record(let fields):
            return "{" + fields.map { "\($0.name)\($0.optional ? "?" : ""): \($0.type)" }.joined(separator: ", ") + "}"
        }
    }

    /// Parses a type expression. Catalogs hold a few dozen distinct type texts that checkers
    /// ask for once per value they read, so parsed types are remembered process-wide.
    public static func parse(_ text: String) throws -> CatalogType {
        if let known = ParsedTypeCache.shared.type(for: text) { return known }
        let type = try parseUncached(text)
        ParsedTypeCache.shared.remember(type, for: text)
        return type
    }

    private static func parseUncached(_ text: String) throws -> CatalogType {
        var parser = TypeParser(Array(text.unicodeScalars))
        let type = try parser.parseType()
        parser.skipSpaces()
        guard parser.atEnd else { throw CatalogError("unexpected text after type in `\(text)`") }
        return type
    }

    /// Fields of a record built from catalog field lists.
    public static func record(_ fields: [Field]) throws -> CatalogType {
        .record(try fields.map { RecordField(name: $0.name, type: try parse($0.type), optional: $0.optional) })
    }
}

/// Successfully parsed type texts; failures are not kept, so their errors are rebuilt each time.
/// Bounded, because callers may also parse texts that come from users rather than the catalog.
private final class ParsedTypeCache: @unchecked Sendable {
    static let shared = ParsedTypeCache()
    private static let capacity = 4_096
    private let lock = NSLock()
    private var types: [String: CatalogType] = [:]

    func type(for text: String) -> CatalogType? {
        lock.lock()
        defer { lock.unlock() }
        return types[text]
    }

    func remember(_ type: CatalogType, for text: String) {
        lock.lock()
        defer { lock.unlock() }
        if types.count >= Self.capacity { types.removeAll(keepingCapacity: true) }
        types[text] = type
    }
}

private struct TypeParser {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { index >= scalars.count }

    mutating func skipSpaces() {
        while index < scalars.count, scalars[index] == " " { index += 1 }
    }

    mutating func expect(_ scalar: Unicode.Scalar) throws {
        skipSpaces()
        guard index < scalars.count, scalars[index] == scalar else {
            throw CatalogError("expected `\(scalar)` at position \(index + 1)")
        }
        index += 1
    }

    mutating func peek(_ scalar: Unicode.Scalar) -> Bool {
        skipSpaces()
        return index < scalars.count && scalars[index] == scalar
    }

    mutating func identifier() throws -> String {
        skipSpaces()
        var out = ""
        while index < scalars.count, scalars[index].properties.isAlphabetic || scalars[index] == "_" || ("0"..."9").contains(scalars[index]) {
            out.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard !out.isEmpty else { throw CatalogError("expected a type name at position \(index + 1)") }
        return out
    }

    mutating func parseType() throws -> CatalogType {
        if peek("{") {
            index += 1
            var fields: [CatalogType.RecordField] = []
            while !peek("}") {
                let name = try identifier()
                let optional = peek("?")
                if optional { index += 1 }
                try expect(":")
                fields.append(.init(name: name, type: try parseType(), optional: optional))
                if peek(",") { index += 1 } else { break }
            }
            try expect("}")
            return .record(fields)
        }
        let name = try identifier()
        switch name {
        case "int": return .int
        case "uint": return .uint
        case "double": return .double
        case "bool": return .bool
        case "string": return .string
        case "bytes": return .bytes
        case "timestamp": return .timestamp
        case "duration": return .duration
        case "dyn", "any": return .dyn
        case "null_type": return .null
        case "list":
            try expect("(")
            let element = try parseType()
            try expect(")")
            return .list(element)
        case "map":
            try expect("(")
            let key = try parseType()
            try expect(",")
            let value = try parseType()
            try expect(")")
            return .map(key, value)
        default:
            throw CatalogError("unknown type `\(name)`")
        }
    }
}
