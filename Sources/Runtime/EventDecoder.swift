import CEL
import Catalog
import Flows
import Foundation

/// One accepted input event: its identity and its CEL value (typed by the catalog when it
/// knows the event's type).
public struct InputEvent: Sendable {
    public var id: String
    public var source: String
    public var type: String
    public var time: CELTimestamp
    public var subject: String?
    /// The whole event: a record of the catalog's event type, or a map for unknown types.
    public var value: CELValue
    /// 1-based line number in the input.
    public var line: Int

    public init(id: String, source: String, type: String, time: CELTimestamp, subject: String?, value: CELValue, line: Int) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.value = value
        self.line = line
    }
}

/// What became of one input line.
public enum DecodedLine: Sendable {
    case event(InputEvent)
    /// A valid envelope of a type no flow listens to; `data` was not converted.
    case unlistened(type: String)
    /// Why the line is rejected, as `data.memberCount: expected int, got string`.
    case rejected(String)
    /// An empty line, skipped.
    case blank
}

/// The CEL record types of the catalog's events, built once: programs compiled against them
/// read fields by slot, which needs the very same type instance in the values.
public final class EventTypeRegistry: Sendable {
    public let catalog: Catalog
    private let types: [String: CELType]

    public init(catalog: Catalog = .standard) {
        self.catalog = catalog
        var types: [String: CELType] = [:]
        for eventType in catalog.events {
            if let type = CELBridge.eventRecordType(eventType, catalog: catalog) { types[eventType.type] = type }
        }
        self.types = types
    }

    /// The type of `event` for events of `type`, nil when the catalog does not know it.
    public func eventType(_ type: String) -> CELType? { types[type] }
}

/// Checks input lines (SPEC 8.1): JSON object, CloudEvent attributes, typed `data`.
public struct EventDecoder: Sendable {
    public let registry: EventTypeRegistry

    public init(registry: EventTypeRegistry) {
        self.registry = registry
    }

    /// Decodes one line. `listens` says whether some flow listens to a type; `readTime` fills a
    /// missing `time`.
    public func decode(_ line: some StringProtocol, number: Int, listens: (String) -> Bool, readTime: () -> CELTimestamp) -> DecodedLine {
        let bytes = Data(line.utf8)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank }
        guard let parsed = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) else {
            return .rejected("not JSON")
        }
        guard var attributes = parsed as? [String: Any] else {
            return .rejected("expected a JSON object (a CloudEvent), got \(Self.kind(of: parsed))")
        }
        return decode(attributes: &attributes, number: number, listens: listens, readTime: readTime)
    }

    /// Decodes a parsed JSON object.
    public func decode(attributes: inout [String: Any], number: Int, listens: (String) -> Bool, readTime: () -> CELTimestamp) -> DecodedLine {
        for name in ["specversion", "id", "source", "type"] {
            guard let item = attributes[name] else { return .rejected("\(name): missing (a required CloudEvent attribute)") }
            guard let text = item as? String else { return .rejected("\(name): expected string, got \(Self.kind(of: item))") }
            if text.isEmpty { return .rejected("\(name): must not be empty") }
        }
        guard let specversion = attributes["specversion"] as? String, specversion == "1.0" else {
            return .rejected("specversion: expected \"1.0\", got \(Self.describe(attributes["specversion"] as Any))")
        }
        guard let id = attributes["id"] as? String, let source = attributes["source"] as? String,
              let type = attributes["type"] as? String else { return .rejected("missing attributes") }
        if let subject = attributes["subject"], !(subject is String) {
            return .rejected("subject: expected string, got \(Self.kind(of: subject))")
        }
        let time: CELTimestamp
        if let item = attributes["time"] {
            guard let text = item as? String, let parsed = CELTimestamp.parse(text) else {
                return .rejected("time: expected an RFC 3339 timestamp, got \(Self.describe(item))")
            }
            time = parsed
        } else {
            time = readTime()
            attributes["time"] = time.rfc3339
        }
        guard listens(type) else { return .unlistened(type: type) }
        let subject = attributes["subject"] as? String
        let value: CELValue
        if let recordType = registry.eventType(type) {
            if attributes["data"] == nil { return .rejected("data: missing (events of type `\(type)` carry data)") }
            switch CELBridge.value(fromJSON: attributes, as: recordType) {
            case .success(let converted): value = converted
            case .failure(let error): return .rejected(Self.message(for: error, in: attributes))
            }
        } else {
            switch CELBridge.value(fromJSON: attributes, as: .dyn) {
            case .success(.map(let map)):
                var entries: [(String, CELValue)] = []
                for entry in map.entries {
                    guard case .string(let key) = entry.key else { continue }
                    entries.append((key, key == "time" ? .timestamp(time) : entry.value))
                }
                value = RuntimeValues.map(entries)
            case .success(let other): value = other
            case .failure(let error): return .rejected(Self.message(for: error, in: attributes))
            }
        }
        return .event(InputEvent(id: id, source: source, type: type, time: time, subject: subject, value: value, line: number))
    }

    /// `data.stages[0].status: missing` or `data.memberCount: expected int, got string`.
    static func message(for error: CELBridge.ConversionError, in attributes: [String: Any]) -> String {
        let prefix = "missing required field `"
        if error.message.hasPrefix(prefix) {
            let field = error.message.dropFirst(prefix.count).dropLast()
            let path = error.path.isEmpty ? String(field) : "\(error.path).\(field)"
            return "\(path): missing"
        }
        let found = value(at: error.path, in: attributes).map { ", got \(describe($0))" } ?? ""
        let message = error.message.hasPrefix("expected an object") ? "expected an object" : error.message
        return "\(error.path.isEmpty ? "event" : error.path): \(message)\(found)"
    }

    /// Walks `data.items[2].name` through parsed JSON.
    static func value(at path: String, in root: Any) -> Any? {
        var current: Any = root
        for component in path.split(separator: ".") {
            var name = Substring(component)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                guard let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) else { return nil }
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            guard let object = current as? [String: Any], let next = object[String(name)] else { return nil }
            current = next
            for index in indices {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// A JSON value's kind for messages: `string`, `a number with a fraction`, `list`, ...
    static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "string"
        case is [Any]: return "list"
        case is [String: Any]: return "object"
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return "bool" }
            let double = number.doubleValue
            if double.rounded() != double { return "a number with a fraction" }
            return "number"
        default: return "unknown"
        }
    }

    /// Kind plus a short quote for strings: `string "yesterday"`.
    static func describe(_ value: Any) -> String {
        if let text = value as? String {
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "string \"\(shown)\""
        }
        return kind(of: value)
    }
}
