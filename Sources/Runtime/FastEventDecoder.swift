import CEL
import Foundation

/// The hot path of `flowc run` input (SPEC 8.1): one pass over a line's bytes that reads the
/// envelope, returns at once for types no flow listens to (the `data` object is skipped, not
/// decoded), and otherwise decodes `data` straight into the catalog's typed record.
///
/// Why not `JSONSerialization`: with it and `CELBridge`, a line cost about 65 µs in the
/// `flowc-bench run` profile (NSDictionary bridging and boxing dominated); this scanner builds
/// the CEL values directly. It only handles lines it can decode exactly as the checked path
/// would: on anything unusual (escapes in strings, `null` where a value is required, a
/// fraction in an int field, untyped data with duplicate keys, invalid JSON) it gives up and
/// the caller falls back to `EventDecoder`, which also writes the rejection message.
struct FastEventDecoder {
    let registry: EventTypeRegistry

    enum Outcome {
        case event(InputEvent)
        case unlistened(type: String)
        /// Not decidable here: use the checked path.
        case fallback
    }

    func decode(_ line: UnsafeBufferPointer<UInt8>, number: Int, listens: (String) -> Bool, readTime: () -> CELTimestamp) -> Outcome {
        var scanner = JSONScanner(bytes: line)
        guard let envelope = scanner.envelope() else { return .fallback }
        guard envelope.specversion == "1.0", let id = envelope.id, let source = envelope.source, let type = envelope.type,
              !id.isEmpty, !source.isEmpty, !type.isEmpty else { return .fallback }
        var time: CELTimestamp
        if let text = envelope.time {
            guard let parsed = CELTimestamp.parse(text) else { return .fallback }
            time = parsed
        } else {
            time = readTime()
        }
        guard listens(type) else { return .unlistened(type: type) }
        let value: CELValue
        if case .record(let recordType)? = registry.eventType(type) {
            guard let dataRange = envelope.data else { return .fallback }
            var fields = [CELValue?](repeating: nil, count: recordType.fields.count)
            for field in recordType.fields {
                switch field.name {
                case "id": fields[field.slot] = .string(id)
                case "source": fields[field.slot] = .string(source)
                case "type": fields[field.slot] = .string(type)
                case "specversion": fields[field.slot] = .string("1.0")
                case "time": fields[field.slot] = .timestamp(time)
                case "subject": fields[field.slot] = envelope.subject.map(CELValue.string)
                case "data":
                    var dataScanner = JSONScanner(bytes: line, position: dataRange)
                    guard let data = dataScanner.value(as: field.type) else { return .fallback }
                    fields[field.slot] = data
                default:
                    // An envelope attribute this decoder does not know: let the checked path decide.
                    return .fallback
                }
            }
            value = .record(CELRecord(type: recordType, fields: fields))
        } else {
            var entries: [(String, CELValue)] = [("specversion", .string("1.0")), ("id", .string(id)), ("source", .string(source)), ("type", .string(type)), ("time", .timestamp(time))]
            if let subject = envelope.subject { entries.append(("subject", .string(subject))) }
            if let dataRange = envelope.data {
                var dataScanner = JSONScanner(bytes: line, position: dataRange)
                guard let data = dataScanner.value(as: .dyn) else { return .fallback }
                entries.append(("data", data))
            }
            guard envelope.others.isEmpty else { return .fallback }
            value = RuntimeValues.map(entries.sorted { $0.0 < $1.0 })
        }
        return .event(InputEvent(id: id, source: source, type: type, time: time, subject: envelope.subject, value: value, line: number))
    }
}

/// A JSON scanner over one line. Every method returns nil where the input is not what the
/// fast path handles.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    /// Nesting limit, so a hostile line cannot exhaust the stack.
    private var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    struct Envelope {
        var specversion: String?
        var id: String?
        var source: String?
        var type: String?
        var time: String?
        var subject: String?
        /// Where the `data` value starts.
        var data: Int?
        /// Other top-level members (extensions) were present.
        var others: [String] = []
    }

    mutating func envelope() -> Envelope? {
        skipSpace()
        guard consume(UInt8(ascii: "{")) else { return nil }
        var envelope = Envelope()
        var seen: UInt8 = 0
        func first(_ bit: UInt8) -> Bool {
            defer { seen |= bit }
            return seen & bit == 0
        }
        skipSpace()
        if consume(UInt8(ascii: "}")) { return trailingSpaceOnly() ? envelope : nil }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            // A repeated member: the checked path decides what that means.
            switch key {
            case "specversion": guard first(1), let text = string() else { return nil }; envelope.specversion = text
            case "id": guard first(2), let text = string() else { return nil }; envelope.id = text
            case "source": guard first(4), let text = string() else { return nil }; envelope.source = text
            case "type": guard first(8), let text = string() else { return nil }; envelope.type = text
            case "time": guard first(16), let text = string() else { return nil }; envelope.time = text
            case "subject": guard first(32), let text = string() else { return nil }; envelope.subject = text
            case "data":
                guard first(64) else { return nil }
                envelope.data = position
                guard peek() == UInt8(ascii: "{"), skipValue() else { return nil }
            default:
                guard !envelope.others.contains(key) else { return nil }
                envelope.others.append(key)
                guard skipValue() else { return nil }
            }
            skipSpace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "}")) else { return nil }
            return trailingSpaceOnly() ? envelope : nil
        }
    }

    /// A value of a checked type; nil for anything the checked path should judge.
    mutating func value(as type: CELType) -> CELValue? {
        skipSpace()
        guard let byte = peek() else { return nil }
        switch type {
        case .string:
            return string().map(CELValue.string)
        case .int:
            return integer().map(CELValue.int)
        case .double:
            return double().map(CELValue.double)
        case .bool:
            if literal("true") { return .bool(true) }
            if literal("false") { return .bool(false) }
            return nil
        case .timestamp:
            return string().flatMap(CELTimestamp.parse).map(CELValue.timestamp)
        case .list(let element):
            guard byte == UInt8(ascii: "["), depth < 64 else { return nil }
            depth += 1
            defer { depth -= 1 }
            position += 1
            var items: [CELValue] = []
            skipSpace()
            if consume(UInt8(ascii: "]")) { return .list(items) }
            while true {
                guard let item = value(as: element) else { return nil }
                items.append(item)
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]")) ? .list(items) : nil
            }
        case .record(let recordType):
            guard byte == UInt8(ascii: "{"), depth < 64 else { return nil }
            depth += 1
            defer { depth -= 1 }
            position += 1
            var fields = [CELValue?](repeating: nil, count: recordType.fields.count)
            var seen = [Bool](repeating: false, count: recordType.fields.count)
            skipSpace()
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ":")) else { return nil }
                    skipSpace()
                    if let field = recordType.field(named: key) {
                        guard !seen[field.slot] else { return nil }
                        seen[field.slot] = true
                        if literal("null") {
                            guard field.optional else { return nil }
                        } else {
                            guard let item = value(as: field.type) else { return nil }
                            fields[field.slot] = item
                        }
                    } else {
                        guard skipValue() else { return nil }
                    }
                    skipSpace()
                    if consume(UInt8(ascii: ",")) { continue }
                    guard consume(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            for field in recordType.fields where !field.optional && fields[field.slot] == nil { return nil }
            return .record(CELRecord(type: recordType, fields: fields))
        case .dyn:
            return dynamic()
        default:
            return nil
        }
    }

    private mutating func dynamic() -> CELValue? {
        skipSpace()
        guard let byte = peek(), depth < 64 else { return nil }
        switch byte {
        case UInt8(ascii: "\""): return string().map(CELValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            position += 1
            var items: [CELValue] = []
            skipSpace()
            if consume(UInt8(ascii: "]")) { return .list(items) }
            while true {
                guard let item = dynamic() else { return nil }
                items.append(item)
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]")) ? .list(items) : nil
            }
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            position += 1
            var entries: [(String, CELValue)] = []
            var keys: Set<String> = []
            skipSpace()
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipSpace()
                    guard let key = string(), keys.insert(key).inserted else { return nil }
                    skipSpace()
                    guard consume(UInt8(ascii: ":")) else { return nil }
                    guard let item = dynamic() else { return nil }
                    entries.append((key, item))
                    skipSpace()
                    if consume(UInt8(ascii: ",")) { continue }
                    guard consume(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            // The checked path sorts keys (it reads a dictionary); so does this one.
            return RuntimeValues.map(entries.sorted { $0.0 < $1.0 })
        default:
            guard let (text, integral) = numberText() else { return nil }
            if integral, let number = Int64(text) { return .int(number) }
            if integral { return nil }
            return Double(text).map(CELValue.double)
        }
    }

    // MARK: Tokens

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            position += 1
        }
    }

    private mutating func trailingSpaceOnly() -> Bool {
        skipSpace()
        return position == bytes.count
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let text = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[position + offset] != text[offset] { return false }
        position += count
        return true
    }

    /// A string without escapes or control characters, valid UTF-8.
    mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = position
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                // ASCII needs no validation, and `String(validating:)` is generic and slow.
                return ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
        return nil
    }

    /// The text of a JSON number and whether it has neither fraction nor exponent.
    private mutating func numberText() -> (String, Bool)? {
        let start = position
        var integral = true
        if peek() == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while let byte = peek(), byte >= 48, byte <= 57 { position += 1 }
        guard position > digitsStart else { return nil }
        // JSON forbids leading zeros (`012`).
        if position - digitsStart > 1 && bytes[digitsStart] == 48 { return nil }
        if peek() == UInt8(ascii: ".") {
            integral = false
            position += 1
            let fractionStart = position
            while let byte = peek(), byte >= 48, byte <= 57 { position += 1 }
            guard position > fractionStart else { return nil }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            integral = false
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            let exponentStart = position
            while let byte = peek(), byte >= 48, byte <= 57 { position += 1 }
            guard position > exponentStart else { return nil }
        }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self), integral)
    }

    private mutating func integer() -> Int64? {
        guard let (text, integral) = numberText(), integral else { return nil }
        return Int64(text)
    }

    private mutating func double() -> Double? {
        guard let (text, _) = numberText() else { return nil }
        return Double(text)
    }

    /// Skips one value of any kind (checking its syntax loosely: the checked path rejects
    /// what is wrong when the line is listened to; skipped values are never read).
    mutating func skipValue() -> Bool {
        skipSpace()
        guard let byte = peek() else { return false }
        switch byte {
        case UInt8(ascii: "\""):
            position += 1
            while position < bytes.count {
                let current = bytes[position]
                if current == UInt8(ascii: "\\") {
                    position += 2
                    continue
                }
                position += 1
                if current == UInt8(ascii: "\"") { return true }
            }
            return false
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var nesting = 0
            while position < bytes.count {
                let current = bytes[position]
                switch current {
                case UInt8(ascii: "\""):
                    guard skipValue() else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    nesting += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    nesting -= 1
                    if nesting == 0 {
                        position += 1
                        return true
                    }
                default:
                    break
                }
                position += 1
            }
            return false
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return numberText() != nil
        }
    }
}
