/// Equality, ordering and arithmetic with CEL's semantics: heterogeneous numeric equality and
/// ordering, overflow errors, strings compared by code point (not Swift's canonical
/// equivalence, so `"\u00e9" != "e\u0301"`).
enum CELOrder {
    case less, equal, greater, unordered

    init<T: Comparable>(_ lhs: T, _ rhs: T) {
        self = lhs < rhs ? .less : (lhs == rhs ? .equal : .greater)
    }
}

extension CELValue {
    /// CEL `==` on two non-error values: false (never an error) across different types.
    static func equal(_ lhs: CELValue, _ rhs: CELValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.uint(let a), .uint(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.int, .uint), (.int, .double), (.uint, .int), (.uint, .double), (.double, .int), (.double, .uint):
            return numericOrder(lhs, rhs) == .equal
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.timestamp(let a), .timestamp(let b)): return a == b
        case (.duration(let a), .duration(let b)): return a == b
        case (.type(let a), .type(let b)): return a == b
        case (.optional(let a), .optional(let b)):
            switch (a, b) {
            case (nil, nil): return true
            case (let x?, let y?): return equal(x, y)
            default: return false
            }
        case (.list(let a), .list(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !equal(x, y) { return false }
            return true
        case (.map(let a), .map(let b)):
            guard a.count == b.count else { return false }
            for entry in a.entries {
                guard let other = b.value(for: entry.key), equal(entry.value, other) else { return false }
            }
            return true
        case (.record(let a), .record(let b)):
            guard a.type === b.type else { return false }
            for (x, y) in zip(a.fields, b.fields) {
                switch (x, y) {
                case (nil, nil): continue
                case (let x?, let y?) where equal(x, y): continue
                default: return false
                }
            }
            return true
        default:
            return false
        }
    }

    /// The order of two values of comparable types, nil when CEL defines no `<` for them.
    static func order(_ lhs: CELValue, _ rhs: CELValue) -> CELOrder? {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return CELOrder(a, b)
        case (.uint(let a), .uint(let b)): return CELOrder(a, b)
        case (.double(let a), .double(let b)):
            return a.isNaN || b.isNaN ? .unordered : CELOrder(a, b)
        case (.int, .uint), (.int, .double), (.uint, .int), (.uint, .double), (.double, .int), (.double, .uint):
            return numericOrder(lhs, rhs)
        case (.string(let a), .string(let b)):
            if a.utf8.elementsEqual(b.utf8) { return .equal }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? .less : .greater
        case (.bytes(let a), .bytes(let b)):
            if a == b { return .equal }
            return a.lexicographicallyPrecedes(b) ? .less : .greater
        case (.bool(let a), .bool(let b)):
            return a == b ? .equal : (!a ? .less : .greater)
        case (.timestamp(let a), .timestamp(let b)): return CELOrder(a, b)
        case (.duration(let a), .duration(let b)): return CELOrder(a, b)
        default: return nil
        }
    }

    /// Comparison across int, uint and double.
    static func numericOrder(_ lhs: CELValue, _ rhs: CELValue) -> CELOrder? {
        switch (lhs, rhs) {
        case (.int(let a), .uint(let b)): return a < 0 ? .less : CELOrder(UInt64(a), b)
        case (.uint(let a), .int(let b)): return b < 0 ? .greater : CELOrder(a, UInt64(b))
        case (.int(let a), .double(let b)): return compare(int: a, double: b)
        case (.double(let a), .int(let b)): return flip(compare(int: b, double: a))
        case (.uint(let a), .double(let b)): return compare(uint: a, double: b)
        case (.double(let a), .uint(let b)): return flip(compare(uint: b, double: a))
        default: return order(lhs, rhs)
        }
    }

    private static func flip(_ order: CELOrder) -> CELOrder {
        switch order {
        case .less: return .greater
        case .greater: return .less
        default: return order
        }
    }

    /// Ints and uints compare with doubles as doubles (as the conformance suite requires:
    /// `9223372036854775807 < 9223372036854775808.0` is false).
    private static func compare(int: Int64, double: Double) -> CELOrder {
        double.isNaN ? .unordered : CELOrder(Double(int), double)
    }

    private static func compare(uint: UInt64, double: Double) -> CELOrder {
        double.isNaN ? .unordered : CELOrder(Double(uint), double)
    }
}

/// The standard operators and functions, on values. Arguments are never errors here: the
/// compiled call propagates argument errors before calling.
enum CELOperations {
    static let overflow = CELValue.fail("integer overflow")

    static func add(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            let (sum, overflowed) = a.addingReportingOverflow(b)
            return overflowed ? overflow : .int(sum)
        case (.uint(let a), .uint(let b)):
            let (sum, overflowed) = a.addingReportingOverflow(b)
            return overflowed ? overflow : .uint(sum)
        case (.double(let a), .double(let b)): return .double(a + b)
        case (.string(let a), .string(let b)): return .string(a + b)
        case (.bytes(let a), .bytes(let b)): return .bytes(a + b)
        case (.list(let a), .list(let b)): return .list(a + b)
        case (.timestamp(let t), .duration(let d)), (.duration(let d), .timestamp(let t)):
            return CELTimestamp(seconds: t.seconds &+ d.seconds, nanos: t.nanos + d.nanos).map(CELValue.timestamp) ?? .fail("timestamp out of range")
        case (.duration(let a), .duration(let b)):
            let (seconds, overflowed) = a.seconds.addingReportingOverflow(b.seconds)
            guard !overflowed, let sum = CELDuration(seconds: seconds, nanos: Int64(a.nanos) + Int64(b.nanos)) else { return .fail("duration out of range") }
            return .duration(sum)
        default: return .noOverload("_+_", lhs, rhs)
        }
    }

    static func subtract(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            let (difference, overflowed) = a.subtractingReportingOverflow(b)
            return overflowed ? overflow : .int(difference)
        case (.uint(let a), .uint(let b)):
            let (difference, overflowed) = a.subtractingReportingOverflow(b)
            return overflowed ? overflow : .uint(difference)
        case (.double(let a), .double(let b)): return .double(a - b)
        case (.timestamp(let a), .timestamp(let b)):
            return CELDuration(seconds: a.seconds - b.seconds, nanos: Int64(a.nanos) - Int64(b.nanos)).map(CELValue.duration) ?? .fail("duration out of range")
        case (.timestamp(let t), .duration(let d)):
            return CELTimestamp(seconds: t.seconds &- d.seconds, nanos: t.nanos - d.nanos).map(CELValue.timestamp) ?? .fail("timestamp out of range")
        case (.duration(let a), .duration(let b)):
            let (seconds, overflowed) = a.seconds.subtractingReportingOverflow(b.seconds)
            guard !overflowed, let difference = CELDuration(seconds: seconds, nanos: Int64(a.nanos) - Int64(b.nanos)) else { return .fail("duration out of range") }
            return .duration(difference)
        default: return .noOverload("_-_", lhs, rhs)
        }
    }

    static func multiply(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            let (product, overflowed) = a.multipliedReportingOverflow(by: b)
            return overflowed ? overflow : .int(product)
        case (.uint(let a), .uint(let b)):
            let (product, overflowed) = a.multipliedReportingOverflow(by: b)
            return overflowed ? overflow : .uint(product)
        case (.double(let a), .double(let b)): return .double(a * b)
        default: return .noOverload("_*_", lhs, rhs)
        }
    }

    static func divide(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            if b == 0 { return .fail("division by zero") }
            let (quotient, overflowed) = a.dividedReportingOverflow(by: b)
            return overflowed ? overflow : .int(quotient)
        case (.uint(let a), .uint(let b)):
            return b == 0 ? .fail("division by zero") : .uint(a / b)
        case (.double(let a), .double(let b)): return .double(a / b)
        default: return .noOverload("_/_", lhs, rhs)
        }
    }

    static func modulo(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)):
            if b == 0 { return .fail("modulus by zero") }
            let (remainder, overflowed) = a.remainderReportingOverflow(dividingBy: b)
            return overflowed ? overflow : .int(remainder)
        case (.uint(let a), .uint(let b)):
            return b == 0 ? .fail("modulus by zero") : .uint(a % b)
        default: return .noOverload("_%_", lhs, rhs)
        }
    }

    static func negate(_ value: CELValue) -> CELValue {
        switch value {
        case .int(let a): return a == .min ? overflow : .int(-a)
        case .double(let a): return .double(-a)
        default: return .noOverload(CELOperator.negate, value)
        }
    }

    static func not(_ value: CELValue) -> CELValue {
        if case .bool(let flag) = value { return .bool(!flag) }
        return .noOverload(CELOperator.logicalNot, value)
    }

    static func compare(_ function: String, _ lhs: CELValue, _ rhs: CELValue, _ accept: (CELOrder) -> Bool) -> CELValue {
        guard let order = CELValue.order(lhs, rhs) else { return .noOverload(function, lhs, rhs) }
        return .bool(accept(order))
    }

    static func index(_ container: CELValue, _ key: CELValue) -> CELValue {
        switch container {
        case .optional(let inner):
            guard let inner else { return container }
            return wrap(index(inner, key))
        case .list(let elements):
            let position: Int64
            switch key {
            case .int(let number): position = number
            case .uint(let number): position = number > UInt64(Int64.max) ? -1 : Int64(number)
            case .double(let number):
                guard let exact = Int64(exactly: number) else { return .fail("invalid list index \(CELLiteral.format(key))") }
                position = exact
            default: return .noOverload(CELOperator.index, container, key)
            }
            guard position >= 0, position < Int64(elements.count) else {
                return .fail("index out of range: \(position) (list size \(elements.count))")
            }
            return elements[Int(position)]
        case .map(let map):
            switch key {
            case .int, .uint, .double, .bool, .string: break
            default: return .noOverload(CELOperator.index, container, key)
            }
            return map.value(for: key) ?? .fail("no such key: \(CELLiteral.format(key))")
        case .record(let record):
            guard case .string(let name) = key else { return .noOverload(CELOperator.index, container, key) }
            return select(container, field: name, record: record)
        default:
            return .noOverload(CELOperator.index, container, key)
        }
    }

    static func select(_ operand: CELValue, field: String, record: CELRecord) -> CELValue {
        guard let declared = record.type.field(named: field) else { return .fail("no such field `\(field)`") }
        return record.fields[declared.slot] ?? .fail("field `\(field)` is not set")
    }

    static func select(_ operand: CELValue, field: String) -> CELValue {
        switch operand {
        case .optional(let inner):
            guard let inner else { return operand }
            return wrap(select(inner, field: field))
        case .map(let map):
            return map[string: field] ?? .fail("no such key: \"\(field)\"")
        case .record(let record):
            return select(operand, field: field, record: record)
        case .error:
            return operand
        default:
            return .fail("cannot select field `\(field)` of a value of type `\(operand.celType.runtimeName)`")
        }
    }

    /// An error stays an error; anything else becomes `optional.of(value)`.
    static func wrap(_ value: CELValue) -> CELValue {
        value.isError ? value : .optional(value)
    }

    static func optionalSelect(_ operand: CELValue, field: String) -> CELValue {
        switch operand {
        case .optional(let inner):
            guard let inner else { return operand }
            return optionalSelect(inner, field: field)
        case .map(let map):
            return .optional(map[string: field])
        case .record(let record):
            guard let declared = record.type.field(named: field) else { return .fail("no such field `\(field)`") }
            return .optional(record.fields[declared.slot])
        case .error:
            return operand
        default:
            return .fail("cannot select field `\(field)` of a value of type `\(operand.celType.runtimeName)`")
        }
    }

    static func optionalIndex(_ container: CELValue, _ key: CELValue) -> CELValue {
        switch container {
        case .optional(let inner):
            guard let inner else { return container }
            return optionalIndex(inner, key)
        case .list(let elements):
            guard case .int(let position) = key else { return .noOverload(CELOperator.optionalIndex, container, key) }
            return .optional(position >= 0 && position < Int64(elements.count) ? elements[Int(position)] : nil)
        case .map(let map):
            return .optional(map.value(for: key))
        default:
            return .noOverload(CELOperator.optionalIndex, container, key)
        }
    }

    /// Whether a value is its type's zero value (for `optional.ofNonZeroValue`).
    static func isZero(_ value: CELValue) -> Bool {
        switch value {
        case .null: return true
        case .bool(let flag): return !flag
        case .int(let number): return number == 0
        case .uint(let number): return number == 0
        case .double(let number): return number == 0
        case .string(let text): return text.isEmpty
        case .bytes(let bytes): return bytes.isEmpty
        case .list(let elements): return elements.isEmpty
        case .map(let map): return map.count == 0
        case .duration(let duration): return duration.seconds == 0 && duration.nanos == 0
        case .timestamp(let timestamp): return timestamp.seconds == 0 && timestamp.nanos == 0
        case .optional(let inner): return inner == nil
        default: return false
        }
    }

    static func has(_ operand: CELValue, field: String) -> CELValue {
        switch operand {
        case .map(let map): return .bool(map[string: field] != nil)
        case .record(let record):
            guard let declared = record.type.field(named: field) else { return .fail("no such field `\(field)`") }
            return .bool(record.fields[declared.slot] != nil)
        case .error: return operand
        default: return .fail("invalid type for `has()`: `\(operand.celType.runtimeName)`")
        }
    }

    static func contained(_ element: CELValue, in container: CELValue) -> CELValue {
        switch container {
        case .list(let elements):
            for candidate in elements where CELValue.equal(element, candidate) { return .bool(true) }
            return .bool(false)
        case .map(let map):
            return .bool(map.value(for: element) != nil)
        default:
            return .noOverload(CELOperator.in, element, container)
        }
    }

    static func size(_ value: CELValue) -> CELValue {
        switch value {
        case .string(let text): return .int(Int64(text.unicodeScalars.count))
        case .bytes(let bytes): return .int(Int64(bytes.count))
        case .list(let elements): return .int(Int64(elements.count))
        case .map(let map): return .int(Int64(map.count))
        default: return .noOverload("size", value)
        }
    }
}
