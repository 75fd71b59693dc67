/// A CEL value. Evaluation errors are values too (`.error`), because `&&`, `||` and the
/// comprehension macros absorb errors instead of stopping at them.
public enum CELValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case timestamp(CELTimestamp)
    case duration(CELDuration)
    case list([CELValue])
    case map(CELMap)
    case record(CELRecord)
    case type(CELType)
    /// An optional value: `nil` is `optional.none()`.
    indirect case optional(CELValue?)
    case error(CELEvaluationError)

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The runtime type, as `type(x)` returns it.
    public var celType: CELType {
        switch self {
        case .null: return .null
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .string: return .string
        case .bytes: return .bytes
        case .timestamp: return .timestamp
        case .duration: return .duration
        case .list: return .list(.dyn)
        case .map: return .map(.dyn, .dyn)
        case .record(let record): return .record(record.type)
        case .type: return .type(.dyn)
        case .optional(let inner): return .optional(inner?.celType ?? .dyn)
        case .error: return .error
        }
    }

    static func fail(_ message: String) -> CELValue {
        .error(CELEvaluationError(message))
    }

    static func noOverload(_ function: String, _ arguments: CELValue...) -> CELValue {
        for argument in arguments where argument.isError { return argument }
        let types = arguments.map { $0.celType.runtimeName }.joined(separator: ", ")
        return .fail("no such overload: `\(CELOperator.displayName(function))` applied to (\(types))")
    }
}

/// Why an evaluation failed. A class so that `CELValue` stays small and errors pass by reference.
public final class CELEvaluationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// The UTF-8 range of the sub-expression that failed, when known.
    public let range: Range<Int>?

    public init(_ message: String, range: Range<Int>? = nil) {
        self.message = message
        self.range = range
    }

    /// The issue for reporting this error against the expression text, when it has a range.
    public var issue: CELIssue? {
        range.map { CELIssue(.celEvaluation, message, at: $0, label: "evaluation failed here") }
    }

    public var description: String { message }
}

/// A map value: entries in insertion order (for printing) plus, for maps larger than
/// `linearLimit`, an index by normalized key. Keys are ints, uints, bools and strings;
/// numerically equal int and uint keys are one key.
public final class CELMap: Sendable {
    public let entries: [(key: CELValue, value: CELValue)]
    /// Nil for small maps: searching a few entries in order is faster than hashing, and most
    /// maps (CloudEvent data, a run's `vars` and `actions`) are small and built per event.
    private let index: [CELMapKey: Int]?
    static let linearLimit = 8

    /// Fails on a repeated or unsupported key.
    public static func make(_ entries: [(key: CELValue, value: CELValue)]) -> Result<CELMap, CELEvaluationError> {
        if entries.count <= linearLimit {
            var keys: [CELMapKey] = []
            keys.reserveCapacity(entries.count)
            for entry in entries {
                guard let key = CELMapKey(entry.key) else {
                    return .failure(CELEvaluationError("unsupported map key type `\(entry.key.celType.runtimeName)`"))
                }
                if keys.contains(key) {
                    return .failure(CELEvaluationError("repeated key \(CELLiteral.format(entry.key)) in map literal"))
                }
                keys.append(key)
            }
            return .success(CELMap(entries: entries, index: nil))
        }
        var index: [CELMapKey: Int] = [:]
        index.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() {
            guard let key = CELMapKey(entry.key) else {
                return .failure(CELEvaluationError("unsupported map key type `\(entry.key.celType.runtimeName)`"))
            }
            if index.updateValue(position, forKey: key) != nil {
                return .failure(CELEvaluationError("repeated key \(CELLiteral.format(entry.key)) in map literal"))
            }
        }
        return .success(CELMap(entries: entries, index: index))
    }

    /// A map of string keys (JSON objects, CloudEvent attributes); later duplicates win.
    public convenience init(strings: [(String, CELValue)]) {
        var entries: [(key: CELValue, value: CELValue)] = []
        entries.reserveCapacity(strings.count)
        if strings.count <= Self.linearLimit {
            for (key, value) in strings {
                if let existing = entries.firstIndex(where: { Self.isString($0.key, key) }) {
                    entries[existing].value = value
                } else {
                    entries.append((.string(key), value))
                }
            }
            self.init(entries: entries, index: nil)
            return
        }
        var index: [CELMapKey: Int] = [:]
        index.reserveCapacity(strings.count)
        for (key, value) in strings {
            if let existing = index[.string(key)] {
                entries[existing].value = value
            } else {
                index[.string(key)] = entries.count
                entries.append((.string(key), value))
            }
        }
        self.init(entries: entries, index: index)
    }

    private init(entries: [(key: CELValue, value: CELValue)], index: [CELMapKey: Int]?) {
        self.entries = entries
        self.index = index
    }

    private static func isString(_ key: CELValue, _ text: String) -> Bool {
        if case .string(let other) = key { return other.utf8.elementsEqual(text.utf8) }
        return false
    }

    public var count: Int { entries.count }

    /// The value for a key; doubles with an integral value find int and uint keys.
    public func value(for key: CELValue) -> CELValue? {
        guard let normalized = CELMapKey(lookup: key) else { return nil }
        guard let index else {
            for entry in entries where normalized.matches(entry.key) { return entry.value }
            return nil
        }
        return index[normalized].map { entries[$0].value }
    }

    public subscript(string key: String) -> CELValue? {
        guard let index else {
            for entry in entries where Self.isString(entry.key, key) { return entry.value }
            return nil
        }
        return index[.string(key)].map { entries[$0].value }
    }
}

enum CELMapKey: Hashable {
    case bool(Bool)
    case int(Int64)
    /// Only uints above `Int64.max`; smaller ones are stored as `.int` so `1 == 1u` as keys.
    case uint(UInt64)
    case string(String)

    // Strings compare by code points, not by Swift's canonical equivalence: `"\u00e9"` and
    // `"e\u0301"` are different keys in CEL.
    static func == (lhs: CELMapKey, rhs: CELMapKey) -> Bool {
        switch (lhs, rhs) {
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        default: return false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let flag): hasher.combine(0); hasher.combine(flag)
        case .int(let number): hasher.combine(1); hasher.combine(number)
        case .uint(let number): hasher.combine(2); hasher.combine(number)
        case .string(let text):
            hasher.combine(3)
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }

    /// Whether a map's stored key normalizes to this key.
    func matches(_ stored: CELValue) -> Bool {
        switch (self, stored) {
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int(let a), .uint(let b)): return a >= 0 && UInt64(a) == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        default: return false
        }
    }

    init?(_ value: CELValue) {
        switch value {
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .uint(let number): self = number <= UInt64(Int64.max) ? .int(Int64(number)) : .uint(number)
        case .string(let text): self = .string(text)
        default: return nil
        }
    }

    init?(lookup value: CELValue) {
        if case .double(let number) = value {
            if let exact = Int64(exactly: number) {
                self = .int(exact)
            } else if let exact = UInt64(exactly: number) {
                self = .uint(exact)
            } else {
                return nil
            }
            return
        }
        self.init(value)
    }
}

/// A value of a record type: fields in slot order, `nil` where an optional field is absent.
public final class CELRecord: Sendable {
    public let type: CELRecordType
    public let fields: [CELValue?]

    public init(type: CELRecordType, fields: [CELValue?]) {
        self.type = type
        var padded = fields
        if padded.count < type.fields.count {
            padded.append(contentsOf: Array(repeating: nil, count: type.fields.count - padded.count))
        }
        self.fields = padded
    }

    public subscript(name: String) -> CELValue? {
        guard let field = type.field(named: name) else { return nil }
        return fields[field.slot]
    }
}
