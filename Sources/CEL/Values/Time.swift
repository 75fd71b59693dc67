import Foundation

/// A point in time: seconds since the Unix epoch and nanoseconds in `0..<1_000_000_000`.
/// CEL allows 0001-01-01T00:00:00Z through 9999-12-31T23:59:59.999999999Z.
public struct CELTimestamp: Sendable, Hashable, Comparable {
    public let seconds: Int64
    public let nanos: Int32

    static let minSeconds: Int64 = -62_135_596_800
    static let maxSeconds: Int64 = 253_402_300_799

    /// Nil when out of CEL's range.
    public init?(seconds: Int64, nanos: Int32 = 0) {
        var seconds = seconds
        var nanos = Int64(nanos)
        seconds += nanos / 1_000_000_000
        nanos %= 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        guard seconds >= Self.minSeconds, seconds <= Self.maxSeconds else { return nil }
        self.seconds = seconds
        self.nanos = Int32(nanos)
    }

    /// 1970-01-01T00:00:00Z.
    public static let unixEpoch = CELTimestamp(checkedSeconds: 0, nanos: 0)

    private init(checkedSeconds seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    public static func < (lhs: CELTimestamp, rhs: CELTimestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// RFC 3339 in UTC, with a 3, 6 or 9 digit fraction only when it is non-zero.
    public var rfc3339: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate(daysSinceEpoch: days)
        // Written into one buffer: run records print two timestamps per action.
        if (0...9999).contains(date.year) {
            let fraction: (Int64, Int)? = nanos == 0 ? nil
                : nanos % 1_000_000 == 0 ? (Int64(nanos) / 1_000_000, 3)
                : nanos % 1000 == 0 ? (Int64(nanos) / 1000, 6) : (Int64(nanos), 9)
            return String(unsafeUninitializedCapacity: 32) { buffer in
                var index = 0
                func put(_ value: Int64, _ width: Int, then separator: UInt8?) {
                    var rest = value
                    for offset in stride(from: width - 1, through: 0, by: -1) {
                        buffer[index + offset] = UInt8(48 + rest % 10)
                        rest /= 10
                    }
                    index += width
                    if let separator {
                        buffer[index] = separator
                        index += 1
                    }
                }
                put(date.year, 4, then: UInt8(ascii: "-"))
                put(date.month, 2, then: UInt8(ascii: "-"))
                put(date.day, 2, then: UInt8(ascii: "T"))
                put(secondOfDay / 3600, 2, then: UInt8(ascii: ":"))
                put(secondOfDay / 60 % 60, 2, then: UInt8(ascii: ":"))
                put(secondOfDay % 60, 2, then: fraction == nil ? nil : UInt8(ascii: "."))
                if let fraction { put(fraction.0, fraction.1, then: nil) }
                buffer[index] = UInt8(ascii: "Z")
                return index + 1
            }
        }
        var text = pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        text += CELDuration.fraction(Int64(nanos))
        return text + "Z"
    }

    /// Parses RFC 3339 (`2009-02-13T23:31:30.123Z`, `...+05:30`).
    public static func parse(_ text: String) -> CELTimestamp? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// `parse` over UTF-8 bytes: input decoders read timestamps without making a `String`.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> CELTimestamp? {
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for position in index..<index + digits {
                let byte = bytes[position]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ first: UInt8, or second: UInt8? = nil) -> Bool {
            guard index < bytes.count, bytes[index] == first || bytes[index] == second else { return false }
            index += 1
            return true
        }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard let year = number(4), expect(dash), let month = number(2), expect(dash), let day = number(2),
              expect(UInt8(ascii: "T"), or: UInt8(ascii: "t")), let hour = number(2), expect(colon), let minute = number(2),
              expect(colon), let second = number(2) else { return nil }
        var nanos: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
        } else {
            let negative = bytes[index] == UInt8(ascii: "-")
            guard expect(UInt8(ascii: "+"), or: dash), let offsetHours = number(2), expect(colon), let offsetMinutes = number(2),
                  offsetHours < 24, offsetMinutes < 60 else { return nil }
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (negative ? -1 : 1)
        }
        guard index == bytes.count, (1...12).contains(month), day >= 1,
              day <= CivilDate.daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        return CELTimestamp(seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos: Int32(nanos))
    }

    /// The broken-down local time in a zone given as an IANA name or a fixed `±HH:MM` offset.
    func components(in zone: String?) -> CivilTime? {
        var offset: Int64 = 0
        if let zone {
            guard let resolved = Self.offset(of: zone, at: self) else { return nil }
            offset = resolved
        }
        let local = seconds + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secondOfDay = local - days * 86_400
        return CivilTime(date: CivilDate(daysSinceEpoch: days), secondOfDay: secondOfDay, daysSinceEpoch: days)
    }

    static func offset(of zone: String, at timestamp: CELTimestamp) -> Int64? {
        let bytes = Array(zone.utf8)
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || (first >= 48 && first <= 57) {
            // Fixed offsets: `+05:30`, `-08:00`, `05:30`.
            let sign: Int64 = first == UInt8(ascii: "-") ? -1 : 1
            let body = first >= 48 && first <= 57 ? zone : String(zone.dropFirst())
            let parts = body.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
                  hours >= 0, hours < 24, minutes >= 0, minutes < 60 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
        if zone == "UTC" || zone == "Z" { return 0 }
        guard let timeZone = TimeZone(identifier: zone) else { return nil }
        return Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(timestamp.seconds))))
    }
}

/// A signed span of time: seconds and nanoseconds in `0..<1_000_000_000` (so `-1.5s` is
/// seconds -2, nanos 500_000_000). The range is that of 64-bit nanoseconds, about ±292 years.
public struct CELDuration: Sendable, Hashable, Comparable {
    public let seconds: Int64
    public let nanos: Int32

    public init?(seconds: Int64, nanos: Int64 = 0) {
        let (carry, remainder) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        var (total, overflow) = seconds.addingReportingOverflow(carry)
        guard !overflow else { return nil }
        var nanos = remainder
        if nanos < 0 {
            nanos += 1_000_000_000
            (total, overflow) = total.subtractingReportingOverflow(1)
            guard !overflow else { return nil }
        }
        // The range of 64-bit nanoseconds (about ±292 years), as other CEL implementations use.
        let (scaled, o1) = total.multipliedReportingOverflow(by: 1_000_000_000)
        let (_, o2) = scaled.addingReportingOverflow(nanos)
        guard !o1, !o2 else { return nil }
        self.seconds = total
        self.nanos = Int32(nanos)
    }

    public static func < (lhs: CELDuration, rhs: CELDuration) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// `1.5s`, `-0.000000001s`, `3600s`: seconds with the shortest exact fraction.
    public var text: String {
        var seconds = self.seconds
        var nanos = Int64(self.nanos)
        var sign = ""
        if seconds < 0 {
            sign = "-"
            if nanos > 0 {
                seconds += 1
                nanos = 1_000_000_000 - nanos
            }
            seconds = -seconds
        }
        var fraction = ""
        if nanos > 0 {
            var digits = String(nanos)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            fraction = "." + digits
        }
        return sign + String(seconds) + fraction + "s"
    }

    static func fraction(_ nanos: Int64) -> String {
        guard nanos > 0 else { return "" }
        if nanos % 1_000_000 == 0 { return "." + pad(nanos / 1_000_000, 3) }
        if nanos % 1000 == 0 { return "." + pad(nanos / 1000, 6) }
        return "." + pad(nanos, 9)
    }

    /// Go-style duration text: `1h30m`, `-1.5s`, `300ms`, `2us`, `1ns`.
    public static func parse(_ text: String) -> CELDuration? {
        var bytes = Array(text.utf8)
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        guard !bytes.isEmpty else { return nil }
        if bytes == [UInt8(ascii: "0")] { return CELDuration(seconds: 0) }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        var wholeSeconds: Int64 = 0
        var wholeNanos: Int64 = 0
        var fractionalNanos: Double = 0
        var index = 0
        while index < bytes.count {
            var integerPart: Int64 = 0
            var digits = 0
            var overflow = false
            while index < bytes.count, isDigit(bytes[index]) {
                let (shifted, o1) = integerPart.multipliedReportingOverflow(by: 10)
                let (added, o2) = shifted.addingReportingOverflow(Int64(bytes[index] - 48))
                overflow = overflow || o1 || o2
                integerPart = added
                digits += 1
                index += 1
            }
            var fraction: Double = 0
            var scale: Double = 1
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                while index < bytes.count, isDigit(bytes[index]) {
                    scale /= 10
                    fraction += Double(bytes[index] - 48) * scale
                    digits += 1
                    index += 1
                }
            }
            guard digits > 0, !overflow else { return nil }
            let unitStart = index
            while index < bytes.count, !isDigit(bytes[index]), bytes[index] != UInt8(ascii: ".") { index += 1 }
            let unitNanos: Int64
            switch String(decoding: bytes[unitStart..<index], as: UTF8.self) {
            case "h": unitNanos = 3_600_000_000_000
            case "m": unitNanos = 60_000_000_000
            case "s": unitNanos = 1_000_000_000
            case "ms": unitNanos = 1_000_000
            case "us", "\u{00B5}s", "\u{03BC}s": unitNanos = 1000
            case "ns": unitNanos = 1
            default: return nil
            }
            // The whole part exactly (seconds plus nanoseconds) so large values don't overflow.
            if unitNanos >= 1_000_000_000 {
                let (scaled, o1) = integerPart.multipliedReportingOverflow(by: unitNanos / 1_000_000_000)
                let (sum, o2) = wholeSeconds.addingReportingOverflow(scaled)
                guard !o1, !o2 else { return nil }
                wholeSeconds = sum
            } else {
                let (scaled, o1) = integerPart.multipliedReportingOverflow(by: unitNanos)
                let (sum, o2) = wholeSeconds.addingReportingOverflow(scaled / 1_000_000_000)
                guard !o1, !o2 else { return nil }
                wholeSeconds = sum
                wholeNanos += scaled % 1_000_000_000
            }
            fractionalNanos += fraction * Double(unitNanos)
        }
        guard fractionalNanos < 9e18 else { return nil }
        let nanos = wholeNanos + Int64(fractionalNanos.rounded())
        return negative ? CELDuration(seconds: -wholeSeconds, nanos: -nanos) : CELDuration(seconds: wholeSeconds, nanos: nanos)
    }
}

struct CivilDate {
    var year: Int64
    var month: Int64
    var day: Int64

    init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (the "days from civil"
    /// algorithm); Foundation's calendar switches to Julian before 1582, CEL does not.
    var daysSinceEpoch: Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    init(daysSinceEpoch days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

struct CivilTime {
    var date: CivilDate
    var secondOfDay: Int64
    var daysSinceEpoch: Int64

    /// 0 = Sunday.
    var dayOfWeek: Int64 {
        let weekday = (daysSinceEpoch + 4) % 7
        return weekday < 0 ? weekday + 7 : weekday
    }

    /// 0-based day of the year.
    var dayOfYear: Int64 {
        daysSinceEpoch - CivilDate(year: date.year, month: 1, day: 1).daysSinceEpoch
    }
}

func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
