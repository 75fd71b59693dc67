import Foundation

/// A function implementation by arity; receivers come first (`s.startsWith(p)` is binary).
enum CELFunction: Sendable {
    case unary(@Sendable (CELValue) -> CELValue)
    case binary(@Sendable (CELValue, CELValue) -> CELValue)
    case ternary(@Sendable (CELValue, CELValue, CELValue) -> CELValue)
}

/// The implementations of CEL's standard functions, looked up once at compile time.
enum CELBuiltins {
    static func function(_ name: String, arity: Int) -> CELFunction? {
        switch (name, arity) {
        case ("_+_", 2): return .binary(CELOperations.add)
        case ("_-_", 2): return .binary(CELOperations.subtract)
        case ("_*_", 2): return .binary(CELOperations.multiply)
        case ("_/_", 2): return .binary(CELOperations.divide)
        case ("_%_", 2): return .binary(CELOperations.modulo)
        case ("-_", 1): return .unary(CELOperations.negate)
        case ("!_", 1): return .unary(CELOperations.not)
        case ("_==_", 2): return .binary { .bool(CELValue.equal($0, $1)) }
        case ("_!=_", 2): return .binary { .bool(!CELValue.equal($0, $1)) }
        case ("_<_", 2): return .binary { CELOperations.compare("_<_", $0, $1) { $0 == .less } }
        case ("_<=_", 2): return .binary { CELOperations.compare("_<=_", $0, $1) { $0 == .less || $0 == .equal } }
        case ("_>_", 2): return .binary { CELOperations.compare("_>_", $0, $1) { $0 == .greater } }
        case ("_>=_", 2): return .binary { CELOperations.compare("_>=_", $0, $1) { $0 == .greater || $0 == .equal } }
        case ("_[_]", 2): return .binary(CELOperations.index)
        case ("@in", 2): return .binary(CELOperations.contained)
        case ("size", 1): return .unary(CELOperations.size)
        case ("contains", 2): return .binary { stringTest("contains", $0, $1, contains) }
        case ("startsWith", 2): return .binary { stringTest("startsWith", $0, $1) { $0.utf8.starts(with: $1.utf8) } }
        case ("endsWith", 2): return .binary { stringTest("endsWith", $0, $1) { $0.utf8.reversed().starts(with: $1.utf8.reversed()) } }
        case ("matches", 2): return .binary { matches($0, $1) }
        case ("int", 1): return .unary(CELConversions.toInt)
        case ("uint", 1): return .unary(CELConversions.toUInt)
        case ("double", 1): return .unary(CELConversions.toDouble)
        case ("string", 1): return .unary(CELConversions.toString)
        case ("bytes", 1): return .unary(CELConversions.toBytes)
        case ("bool", 1): return .unary(CELConversions.toBool)
        case ("timestamp", 1): return .unary(CELConversions.toTimestamp)
        case ("duration", 1): return .unary(CELConversions.toDuration)
        case ("_[?_]", 2): return .binary(CELOperations.optionalIndex)
        case ("optional.of", 1): return .unary { .optional($0) }
        case ("optional.ofNonZeroValue", 1): return .unary { CELOperations.isZero($0) ? .optional(nil) : .optional($0) }
        case ("hasValue", 1):
            return .unary { value in
                guard case .optional(let inner) = value else { return .noOverload("hasValue", value) }
                return .bool(inner != nil)
            }
        case ("value", 1):
            return .unary { value in
                guard case .optional(let inner) = value else { return .noOverload("value", value) }
                return inner ?? .fail("`value()` of an empty optional")
            }
        case ("dyn", 1): return .unary { $0 }
        case ("type", 1): return .unary { .type($0.celType) }
        default: break
        }
        if let getter = CELTimeGetter(rawValue: name) {
            if arity == 1 { return .unary { getter.apply($0, zone: nil) } }
            if arity == 2 { return .binary { getter.apply($0, zone: $1) } }
        }
        return FlowcFunctions.function(name, arity: arity)
    }

    static func stringTest(_ name: String, _ lhs: CELValue, _ rhs: CELValue, _ test: (String, String) -> Bool) -> CELValue {
        guard case .string(let text) = lhs, case .string(let other) = rhs else { return .noOverload(name, lhs, rhs) }
        return .bool(test(text, other))
    }

    /// Substring search by code points (UTF-8 bytes), not by Swift's grapheme equivalence.
    static func contains(_ text: String, _ part: String) -> Bool {
        let haystack = Array(text.utf8)
        let needle = Array(part.utf8)
        if needle.isEmpty { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    static func matches(_ lhs: CELValue, _ rhs: CELValue) -> CELValue {
        guard case .string(let text) = lhs, case .string(let pattern) = rhs else { return .noOverload("matches", lhs, rhs) }
        switch CELRegex.compile(pattern) {
        case .success(let regex): return .bool(regex.matches(text))
        case .failure(let error): return .error(error)
        }
    }
}

/// `matches()` uses ICU regular expressions (NSRegularExpression) for RE2 syntax. Where they
/// differ: ICU also accepts backreferences and lookaround, which RE2 rejects; RE2's named
/// groups `(?P<name>...)` are translated to ICU's `(?<name>...)`; ICU backtracks, so a
/// pathological pattern can take exponential time where RE2 is linear; `\C` (any byte) and
/// RE2's Unicode class names that ICU lacks are errors here.
struct CELRegex: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe once created.
    let expression: NSRegularExpression

    static func compile(_ pattern: String) -> Result<CELRegex, CELEvaluationError> {
        // ICU rejects the empty pattern, which RE2 matches everywhere.
        let translated = pattern.isEmpty ? "(?:)" : pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        do {
            return .success(CELRegex(expression: try NSRegularExpression(pattern: translated)))
        } catch {
            return .failure(CELEvaluationError("invalid regular expression `\(pattern)`"))
        }
    }

    func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..<text.endIndex, in: text)
        return expression.firstMatch(in: text, options: [], range: range) != nil
    }
}

enum CELTimeGetter: String {
    case getFullYear, getMonth, getDate, getDayOfMonth, getDayOfWeek, getDayOfYear
    case getHours, getMinutes, getSeconds, getMilliseconds

    func apply(_ value: CELValue, zone: CELValue?) -> CELValue {
        switch value {
        case .timestamp(let timestamp):
            var zoneName: String?
            if let zone {
                guard case .string(let name) = zone else { return .noOverload(rawValue, value, zone) }
                zoneName = name
            }
            guard let time = timestamp.components(in: zoneName) else {
                return .fail("unknown time zone `\(zoneName ?? "")`")
            }
            switch self {
            case .getFullYear: return .int(time.date.year)
            case .getMonth: return .int(time.date.month - 1)
            case .getDate: return .int(time.date.day)
            case .getDayOfMonth: return .int(time.date.day - 1)
            case .getDayOfWeek: return .int(time.dayOfWeek)
            case .getDayOfYear: return .int(time.dayOfYear)
            case .getHours: return .int(time.secondOfDay / 3600)
            case .getMinutes: return .int(time.secondOfDay / 60 % 60)
            case .getSeconds: return .int(time.secondOfDay % 60)
            case .getMilliseconds: return .int(Int64(timestamp.nanos) / 1_000_000)
            }
        case .duration(let duration) where zone == nil:
            // Whole units of the duration, truncated toward zero.
            let negative = duration.seconds < 0 && duration.nanos > 0
            let seconds = negative ? duration.seconds + 1 : duration.seconds
            let nanos = negative ? Int64(duration.nanos) - 1_000_000_000 : Int64(duration.nanos)
            switch self {
            case .getHours: return .int(seconds / 3600)
            case .getMinutes: return .int(seconds / 60)
            case .getSeconds: return .int(seconds)
            case .getMilliseconds: return .int(nanos / 1_000_000)
            default: return .noOverload(rawValue, value)
            }
        default:
            return zone.map { .noOverload(rawValue, value, $0) } ?? .noOverload(rawValue, value)
        }
    }
}
