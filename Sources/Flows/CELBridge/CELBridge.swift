import CEL
import Catalog
import Foundation

/// Where catalog types meet CEL: catalog type expressions become CEL types (records with
/// optional fields), and JSON payloads become CEL values of those types.
public enum CELBridge {
    /// The CEL type of a catalog type. Records are named after `name` (nested records
    /// after their path, like `event.data.items`), which is how they print in diagnostics.
    public static func type(_ catalogType: CatalogType, name: String) -> CELType {
        switch catalogType {
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .bool: return .bool
        case .string: return .string
        case .bytes: return .bytes
        case .timestamp: return .timestamp
        case .duration: return .duration
        case .dyn: return .dyn
        case .null: return .null
        case .list(let element): return .list(type(element, name: name))
        case .map(let key, let value): return .map(type(key, name: name), type(value, name: name))
        case .record(let fields):
            return .record(CELRecordType(name: name, fields: fields.map { field in
                (field.name, type(field.type, name: name + "." + field.name), field.optional)
            }))
        }
    }

    /// Why a JSON value does not fit its declared type; `path` is like `data.items[2].name`.
    public struct ConversionError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { path.isEmpty ? message : "`\(path)`: \(message)" }
    }

    /// A JSON value (as `JSONSerialization` returns it) as a CEL value of `type`. With `dyn`,
    /// integers without a fraction become `int` (or `uint` above the int range), other numbers
    /// `double`, objects maps with string keys.
    public static func value(fromJSON json: Any, as type: CELType = .dyn, path: String = "") -> Result<CELValue, ConversionError> {
        func fail(_ message: String) -> Result<CELValue, ConversionError> {
            .failure(ConversionError(path: path, message: message))
        }
        if json is NSNull {
            switch type {
            case .null, .dyn: return .success(.null)
            default: return fail("expected \(type), found null")
            }
        }
        switch type {
        case .dyn:
            return dynamicValue(json, path: path)
        case .bool:
            guard let number = json as? NSNumber, isBool(number) else { return fail("expected bool") }
            return .success(.bool(number.boolValue))
        case .int:
            guard let number = json as? NSNumber, !isBool(number), let integer = exactInt(number) else { return fail("expected int") }
            return .success(.int(integer))
        case .uint:
            guard let number = json as? NSNumber, !isBool(number), let integer = exactUInt(number) else { return fail("expected uint") }
            return .success(.uint(integer))
        case .double:
            guard let number = json as? NSNumber, !isBool(number) else { return fail("expected double") }
            return .success(.double(number.doubleValue))
        case .string:
            guard let text = json as? String else { return fail("expected string") }
            return .success(.string(text))
        case .bytes:
            guard let text = json as? String, let data = Data(base64Encoded: text) else { return fail("expected base64 bytes") }
            return .success(.bytes(Array(data)))
        case .timestamp:
            guard let text = json as? String, let timestamp = CELTimestamp.parse(text) else { return fail("expected an RFC 3339 timestamp") }
            return .success(.timestamp(timestamp))
        case .duration:
            guard let text = json as? String, let duration = CELDuration.parse(text) else { return fail("expected a duration like `1.5s`") }
            return .success(.duration(duration))
        case .list(let element):
            guard let array = json as? [Any] else { return fail("expected a list") }
            var values: [CELValue] = []
            values.reserveCapacity(array.count)
            for (index, item) in array.enumerated() {
                switch value(fromJSON: item, as: element, path: "\(path)[\(index)]") {
                case .success(let converted): values.append(converted)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.list(values))
        case .map(let key, let valueType):
            guard let object = json as? [String: Any] else { return fail("expected an object") }
            guard key == .string || key == .dyn else { return fail("JSON object keys are strings, not \(key)") }
            var entries: [(String, CELValue)] = []
            for name in object.keys.sorted() {
                guard let item = object[name] else { continue }
                switch value(fromJSON: item, as: valueType, path: path.isEmpty ? name : "\(path).\(name)") {
                case .success(let converted): entries.append((name, converted))
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.map(CELMap(strings: entries)))
        case .record(let recordType):
            guard let object = json as? [String: Any] else { return fail("expected an object") }
            var fields: [CELValue?] = Array(repeating: nil, count: recordType.fields.count)
            for field in recordType.fields {
                guard let item = object[field.name], !(item is NSNull && field.optional) else {
                    if !field.optional { return fail("missing required field `\(field.name)`") }
                    continue
                }
                switch value(fromJSON: item, as: field.type, path: path.isEmpty ? field.name : "\(path).\(field.name)") {
                case .success(let converted): fields[field.slot] = converted
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.record(CELRecord(type: recordType, fields: fields)))
        default:
            return fail("values of type \(type) cannot come from JSON")
        }
    }

    private static func dynamicValue(_ json: Any, path: String) -> Result<CELValue, ConversionError> {
        switch json {
        case let number as NSNumber:
            if isBool(number) { return .success(.bool(number.boolValue)) }
            let kind = String(cString: number.objCType)
            if kind == "d" || kind == "f" { return .success(.double(number.doubleValue)) }
            if let integer = exactInt(number) { return .success(.int(integer)) }
            if let integer = exactUInt(number) { return .success(.uint(integer)) }
            return .success(.double(number.doubleValue))
        case let text as String:
            return .success(.string(text))
        case let array as [Any]:
            return value(fromJSON: array, as: .list(.dyn), path: path)
        case let object as [String: Any]:
            return value(fromJSON: object, as: .map(.string, .dyn), path: path)
        default:
            return .failure(ConversionError(path: path, message: "unsupported JSON value"))
        }
    }

    private static func isBool(_ number: NSNumber) -> Bool {
        // JSONSerialization returns booleans as NSNumbers of type `char`.
        String(cString: number.objCType) == "c"
    }

    private static func exactInt(_ number: NSNumber) -> Int64? {
        let kind = String(cString: number.objCType)
        if kind == "d" || kind == "f" { return Int64(exactly: number.doubleValue) }
        if kind == "Q" || kind == "L" || kind == "I" { return Int64(exactly: number.uint64Value) }
        return number.int64Value
    }

    private static func exactUInt(_ number: NSNumber) -> UInt64? {
        let kind = String(cString: number.objCType)
        if kind == "d" || kind == "f" { return UInt64(exactly: number.doubleValue) }
        if kind == "Q" || kind == "L" || kind == "I" { return number.uint64Value }
        return UInt64(exactly: number.int64Value)
    }

    /// A CloudEvent from its JSON attributes, typed by the catalog when it knows the event's
    /// `type` (a record with the envelope attributes and typed `data`); otherwise a map of
    /// its attributes with `data` converted from JSON and `time` as a timestamp.
    /// Fails when the catalog knows the type and the event does not fit it.
    public static func event(_ attributes: [String: Any], catalog: Catalog = .standard) -> Result<(CELValue, CELType), ConversionError> {
        if let typeName = attributes["type"] as? String, let eventType = catalog.event(typeName),
           let recordType = eventRecordType(eventType, catalog: catalog) {
            return value(fromJSON: attributes, as: recordType).map { ($0, recordType) }
        }
        var entries: [(String, CELValue)] = []
        for name in attributes.keys.sorted() {
            guard let item = attributes[name] else { continue }
            if name == "time", let text = item as? String, let timestamp = CELTimestamp.parse(text) {
                entries.append((name, .timestamp(timestamp)))
            } else if case .success(let converted) = value(fromJSON: item) {
                entries.append((name, converted))
            }
        }
        return .success((.map(CELMap(strings: entries)), .map(.string, .dyn)))
    }

    /// The record type of events of one catalog event type: envelope attributes plus `data`.
    public static func eventRecordType(_ eventType: EventType, catalog: Catalog = .standard) -> CELType? {
        var fields: [CatalogType.RecordField] = []
        for field in catalog.envelope {
            guard let type = try? CatalogType.parse(field.type) else { return nil }
            fields.append(.init(name: field.name, type: type, optional: field.optional))
        }
        guard let data = try? CatalogType.record(eventType.fields) else { return nil }
        fields.append(.init(name: "data", type: data, optional: false))
        return type(.record(fields), name: "event")
    }
}
