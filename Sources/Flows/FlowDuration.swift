/// A duration as flows write it: `250ms`, `10s`, `1m30s`, `2h` (SPEC 2).
///
/// The rules: one or more `<digits><unit>` groups with units `h`, `m`, `s`, `ms` from the
/// largest to the smallest, each at most once, no sign, no spaces, no fractions. The total
/// may not exceed ``maximum`` (7 days): longer waits are not what a retry or a timeout is for,
/// and the bound keeps every arithmetic in range. Whether zero is allowed depends on the key
/// (a `timeout` must be positive, a retry `delay` may be zero).
public struct FlowDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    public static let maximum = FlowDuration(milliseconds: 7 * 24 * 3600 * 1000)

    public static func < (lhs: FlowDuration, rhs: FlowDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The canonical text (`1m30s`), `0s` for zero.
    public var description: String {
        var rest = milliseconds
        var out = ""
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out.isEmpty ? "0s" : out
    }

    public enum ParseError: Error, Equatable, Sendable {
        /// Not of the form `1m30s`; the message says what is wrong.
        case syntax(String)
        /// Longer than ``FlowDuration/maximum``.
        case tooLong
    }

    /// A valid spelling of a duration that failed to parse, for a fix-it: `10` → `10s`,
    /// `30sec` → `30s`, `2 minutes` → `2m`, `1.5s` → `1500ms`.
    public static func suggestion(for text: String) -> String? {
        let unitWords: [String: String] = [
            "": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
            "min": "m", "mins": "m", "minute": "m", "minutes": "m",
            "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
            "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
        ]
        let compact = text.lowercased().filter { $0 != " " }
        let number = compact.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitWord = String(compact.dropFirst(number.count))
        guard !number.isEmpty, let unit = unitWords[unitWord] ?? (["ms", "s", "m", "h"].contains(unitWord) ? unitWord : nil),
              let value = Double(number) else { return nil }
        let sizes: [String: Double] = ["h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1]
        guard let size = sizes[unit] else { return nil }
        let milliseconds = value * size
        guard milliseconds.rounded() == milliseconds, milliseconds <= Double(maximum.milliseconds) else { return nil }
        let candidate = number.contains(".") ? "\(Int64(milliseconds))ms" : "\(number)\(unit)"
        guard case .success = parse(candidate), candidate != text else { return nil }
        return candidate
    }

    private static let units: [(name: String, size: Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]

    /// Alphabetic, as Unicode says; ASCII without the property lookup.
    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return scalar.properties.isAlphabetic }
        return (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
    }

    public static func parse(_ text: String) -> Result<FlowDuration, ParseError> {
        // Durations are ASCII: their bytes are their scalars, read in place rather than
        // copied into an array of scalars for each of the durations a lint reads.
        var text = text
        let ascii = text.withUTF8 { bytes -> Result<FlowDuration, ParseError>? in
            if let duration = wellFormed(bytes) { return .success(duration) }
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            return parse(scalars: bytes.lazy.map { Unicode.Scalar($0) })
        }
        return ascii ?? parse(scalars: Array(text.unicodeScalars))
    }

    /// The duration `bytes` spell when they are well formed (`10s`, `1m30s`, at most 15 digits
    /// a group, within ``maximum``), else nil, and the general parser says what is wrong. Nearly
    /// every duration written is well formed, and reading it from the bytes costs a fraction of
    /// the general parser, which builds each unit's name as a string (measured: about 1,000
    /// instructions for `1s`).
    private static func wellFormed(_ bytes: UnsafeBufferPointer<UInt8>) -> FlowDuration? {
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var nextUnit = 0
        var total: Int64 = 0
        while index < bytes.count {
            var digits: Int64 = 0
            let digitsStart = index
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                digits = digits * 10 + Int64(bytes[index] &- UInt8(ascii: "0"))
                index += 1
                guard index - digitsStart <= 15 else { return nil }
            }
            guard index > digitsStart, index < bytes.count else { return nil }
            // The unit: the letters up to the next digit, which must be one of `h`, `m`, `s`, `ms`.
            let unitIndex: Int
            switch bytes[index] {
            case UInt8(ascii: "h"): unitIndex = 0
            case UInt8(ascii: "s"): unitIndex = 2
            case UInt8(ascii: "m"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "s") {
                    unitIndex = 3
                    index += 1
                } else {
                    unitIndex = 1
                }
            default: return nil
            }
            index += 1
            if index < bytes.count, bytes[index] &- UInt8(ascii: "0") >= 10 { return nil }
            guard unitIndex >= nextUnit, digits <= maximum.milliseconds else { return nil }
            nextUnit = unitIndex + 1
            total += digits * units[unitIndex].size
            guard total <= maximum.milliseconds else { return nil }
        }
        return FlowDuration(milliseconds: total)
    }

    private static func parse<Scalars: RandomAccessCollection<Unicode.Scalar>>(scalars: Scalars) -> Result<FlowDuration, ParseError>
    where Scalars.Index == Int {
        let units = Self.units
        guard !scalars.isEmpty else { return .failure(.syntax("a duration cannot be empty")) }
        var index = 0
        var nextUnit = 0
        var total: Int64 = 0
        var tooLong = false
        while index < scalars.count {
            var digits: Int64 = 0
            var digitCount = 0
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                let digit = Int64(scalars[index].value - 48)
                if digits > Int64.max / 10 - 10 { tooLong = true } else { digits = digits * 10 + digit }
                digitCount += 1
                index += 1
            }
            guard digitCount > 0 else {
                return .failure(.syntax("expected a number before the unit"))
            }
            if index < scalars.count, scalars[index] == "." {
                return .failure(.syntax("durations have no fractions; use a smaller unit, such as `1500ms` for 1.5 seconds"))
            }
            var unitText = ""
            while index < scalars.count, Self.isLetter(scalars[index]) {
                unitText.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard !unitText.isEmpty else {
                return .failure(.syntax("missing unit after `\(digits)`; use `ms`, `s`, `m` or `h`"))
            }
            guard let unitIndex = units.firstIndex(where: { $0.name == unitText }) else {
                return .failure(.syntax("unknown unit `\(unitText)`; use `ms`, `s`, `m` or `h`"))
            }
            guard unitIndex >= nextUnit else {
                return .failure(.syntax("units must go from the largest to the smallest, each at most once"))
            }
            nextUnit = unitIndex + 1
            let (product, overflow) = digits.multipliedReportingOverflow(by: units[unitIndex].size)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            if overflow || sumOverflow { tooLong = true } else { total = sum }
        }
        if tooLong || total > maximum.milliseconds { return .failure(.tooLong) }
        return .success(FlowDuration(milliseconds: total))
    }
}
