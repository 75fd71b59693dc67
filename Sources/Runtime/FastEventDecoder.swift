import CEL
import Foundation

/// The hot path of `flowc run` input (SPEC 8.1), in two steps. `scan` reads the envelope in
/// one pass without making strings (the type is looked up by its bytes, the time parsed from
/// them), and `validate` checks `data` against the catalog's typed record without building
/// it, noting where each top-level string field is, so dispatch guards can read them. Only
/// when a flow's guards admit the event does `event` build the CEL values.
///
/// Why not `JSONSerialization`: with it and `CELBridge`, a line cost about 65 µs in the
/// `flowc-bench run` profile (NSDictionary bridging and boxing dominated); building the CEL
/// values directly brought the reader to about 115k events/s, and checking lines without
/// building values for the ~96% of events no flow's guards admit brought it to about 500k
/// events/s on one core (1M events, 100 flows). The scanner only handles lines it can decode
/// exactly as the checked path would: on anything unusual (escapes in strings, `null` where a
/// value is required, a fraction in an int field, untyped data with duplicate keys, invalid
/// JSON) it gives up and the caller falls back to `EventDecoder`, which also writes the
/// rejection message.
struct FastEventDecoder {
    let registry: EventTypeRegistry

    enum Outcome {
        case event(InputEvent)
        case unlistened(type: String)
        /// Not decidable here: use the checked path.
        case fallback
    }

    /// A line whose envelope is valid: byte ranges of its attributes and its parsed time.
    struct ScannedLine {
        var envelope: JSONScanner.Envelope
        var time: CELTimestamp
    }

    /// The envelope of a line, checked as the checked path checks it; nil to fall back.
    static func scan(_ line: UnsafeBufferPointer<UInt8>, readTime: () -> CELTimestamp) -> ScannedLine? {
        var scanner = JSONScanner(bytes: line)
        guard let envelope = scanner.envelope() else { return nil }
        var scanned = ScannedLine(envelope: envelope, time: CELTimestamp.unixEpoch)
        return checkEnvelope(&scanned, line, readTime: readTime) ? scanned : nil
    }

    /// Checks `scanned.envelope` and sets `scanned.time`.
    private static func checkEnvelope(_ scanned: inout ScannedLine, _ line: UnsafeBufferPointer<UInt8>, readTime: () -> CELTimestamp) -> Bool {
        let envelope = scanned.envelope
        guard let specversion = envelope.specversion, let id = envelope.id, let source = envelope.source,
              let type = envelope.type, !id.isEmpty, !source.isEmpty, !type.isEmpty,
              specversion.count == 3, line[specversion.lowerBound] == UInt8(ascii: "1"),
              line[specversion.lowerBound + 1] == UInt8(ascii: "."), line[specversion.lowerBound + 2] == UInt8(ascii: "0")
        else { return false }
        if let text = envelope.time {
            guard let parsed = CELTimestamp.parse(utf8: UnsafeBufferPointer(rebasing: line[text])) else { return false }
            scanned.time = parsed
        } else {
            scanned.time = readTime()
        }
        return true
    }

    /// What the fast path makes of one line.
    enum LineOutcome {
        case fallback
        /// A valid envelope of a type no enabled flow listens to.
        case unlistened
        /// A valid event of a listened type. `checked`: its data is valid and `members` holds
        /// its top-level string fields; otherwise only building the event can tell.
        case listened(DispatchRoute, checked: Bool)
    }

    /// Reads a line in one pass where it can: the envelope up to `data`, the route of its type,
    /// `data` checked in place, the rest of the envelope. The envelope goes to `scanned` (the
    /// caller's, reused: a line's outcome stays small to pass around).
    static func scan(_ line: UnsafeBufferPointer<UInt8>, readTime: () -> CELTimestamp, into scanned: inout ScannedLine, members: inout [JSONScanner.Member], route: (UnsafeBufferPointer<UInt8>) -> DispatchRoute?) -> LineOutcome {
        members.removeAll(keepingCapacity: true)
        scanned.envelope = JSONScanner.Envelope()
        var scanner = JSONScanner(bytes: line)
        var resolved: DispatchRoute?
        var routed = false
        var checked = false
        guard scanner.beginEnvelope() else { return .fallback }
        reading: while true {
            switch scanner.members(into: &scanned.envelope, pauseAtData: true) {
            case .invalid: return .fallback
            case .done: break reading
            case .data:
                guard let type = scanned.envelope.type, let dataStart = scanned.envelope.data else { return .fallback }
                resolved = route(UnsafeBufferPointer(rebasing: line[type]))
                routed = true
                guard let found = resolved else {
                    guard scanner.skipValue() else { return .fallback }
                    continue reading
                }
                if found.recordType != nil {
                    guard found.envelopeDecodable, let dataType = found.dataType,
                          scanner.validate(as: dataType, members: &members) else { return .fallback }
                    checked = true
                } else if scanner.validateDynamic(members: &members) {
                    checked = true
                } else {
                    members.removeAll(keepingCapacity: true)
                    scanner.position = dataStart
                    guard scanner.skipValue() else { return .fallback }
                }
            }
        }
        guard checkEnvelope(&scanned, line, readTime: readTime), let type = scanned.envelope.type else { return .fallback }
        if !routed { resolved = route(UnsafeBufferPointer(rebasing: line[type])) }
        guard let found = resolved else { return .unlistened }
        if let recordType = found.recordType {
            if !checked {
                guard found.envelopeDecodable, validate(line, scanned, as: recordType, members: &members) else { return .fallback }
                checked = true
            }
        } else {
            guard !scanned.envelope.hasOthers else { return .fallback }
            if !checked { checked = validateUntyped(line, scanned, members: &members) }
        }
        return .listened(found, checked: checked)
    }

    /// Whether `event` can fill every envelope field of a catalog event record.
    static func decodesEnvelope(of recordType: CELRecordType) -> Bool {
        recordType.fields.allSatisfy { ["id", "source", "type", "specversion", "time", "subject", "data"].contains($0.name) }
    }

    /// Checks a typed event's `data` without building it; `members` gets its top-level fields.
    /// False to fall back.
    static func validate(_ line: UnsafeBufferPointer<UInt8>, _ scanned: ScannedLine, as recordType: CELRecordType, members: inout [JSONScanner.Member]) -> Bool {
        members.removeAll(keepingCapacity: true)
        guard let dataStart = scanned.envelope.data, let dataField = recordType.field(named: "data") else { return false }
        var scanner = JSONScanner(bytes: line, position: dataStart)
        return scanner.validate(as: dataField.type, members: &members)
    }

    /// Checks an untyped event (no extension attributes, `data` any JSON object) without
    /// building it. False when `event` should decide.
    static func validateUntyped(_ line: UnsafeBufferPointer<UInt8>, _ scanned: ScannedLine, members: inout [JSONScanner.Member]) -> Bool {
        members.removeAll(keepingCapacity: true)
        guard !scanned.envelope.hasOthers else { return false }
        guard let dataStart = scanned.envelope.data else { return true }
        var scanner = JSONScanner(bytes: line, position: dataStart)
        return scanner.validateDynamic(members: &members)
    }

    /// Builds the event of a scanned line (nil to fall back).
    func event(_ line: UnsafeBufferPointer<UInt8>, _ scanned: ScannedLine, number: Int) -> InputEvent? {
        let envelope = scanned.envelope
        func text(_ range: Range<Int>?) -> String? {
            range.map { String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self) }
        }
        guard let id = text(envelope.id), let source = text(envelope.source), let type = text(envelope.type) else { return nil }
        let subject = text(envelope.subject)
        let time = scanned.time
        let value: CELValue
        if case .record(let recordType)? = registry.eventType(type) {
            guard let dataRange = envelope.data else { return nil }
            var fields = [CELValue?](repeating: nil, count: recordType.fields.count)
            for field in recordType.fields {
                switch field.name {
                case "id": fields[field.slot] = .string(id)
                case "source": fields[field.slot] = .string(source)
                case "type": fields[field.slot] = .string(type)
                case "specversion": fields[field.slot] = .string("1.0")
                case "time": fields[field.slot] = .timestamp(time)
                case "subject": fields[field.slot] = subject.map(CELValue.string)
                case "data":
                    var dataScanner = JSONScanner(bytes: line, position: dataRange)
                    guard let data = dataScanner.value(as: field.type) else { return nil }
                    fields[field.slot] = data
                default:
                    // An envelope attribute this decoder does not know: let the checked path decide.
                    return nil
                }
            }
            value = .record(CELRecord(type: recordType, fields: fields))
        } else {
            var entries: [(String, CELValue)] = [("specversion", .string("1.0")), ("id", .string(id)), ("source", .string(source)), ("type", .string(type)), ("time", .timestamp(time))]
            if let subject { entries.append(("subject", .string(subject))) }
            if let dataRange = envelope.data {
                var dataScanner = JSONScanner(bytes: line, position: dataRange)
                guard let data = dataScanner.value(as: .dyn) else { return nil }
                entries.append(("data", data))
            }
            guard !envelope.hasOthers else { return nil }
            value = RuntimeValues.map(entries.sorted { $0.0 < $1.0 })
        }
        return InputEvent(id: id, source: source, type: type, time: time, subject: subject, value: value, line: number)
    }

    /// Both steps at once, building every listened event (tests compare it with the checked path).
    func decode(_ line: UnsafeBufferPointer<UInt8>, number: Int, listens: (String) -> Bool, readTime: () -> CELTimestamp) -> Outcome {
        guard let scanned = Self.scan(line, readTime: readTime), let typeRange = scanned.envelope.type else { return .fallback }
        let type = String(decoding: UnsafeBufferPointer(rebasing: line[typeRange]), as: UTF8.self)
        guard listens(type) else { return .unlistened(type: type) }
        if case .record(let recordType)? = registry.eventType(type) {
            var members: [JSONScanner.Member] = []
            guard Self.validate(line, scanned, as: recordType, members: &members) else { return .fallback }
        }
        return event(line, scanned, number: number).map(Outcome.event) ?? .fallback
    }
}

/// The top-level string members of a validated `data` object, as dispatch guards read them.
struct ScannedDataFields: GuardedFields {
    let line: UnsafeBufferPointer<UInt8>
    let members: [JSONScanner.Member]

    func withText<Result>(of field: [UInt8], _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        for member in members where member.key.count == field.count {
            let key = UnsafeBufferPointer(rebasing: line[member.key])
            if field.withUnsafeBufferPointer({ bytesEqual($0, key) }) {
                return body(UnsafeBufferPointer(rebasing: line[member.text]))
            }
        }
        return body(nil)
    }
}

/// A JSON scanner over one line. Every method returns nil where the input is not what the
/// fast path handles.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    /// Nesting limit, so a hostile line cannot exhaust the stack.
    private var depth = 0
    /// The envelope reader stopped after a value (or at an empty object's `}`).
    private var afterValue = false
    /// The envelope's other members so far, to find repeated ones.
    private var others: [Range<Int>] = []

    init(bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Attribute values as byte ranges of string contents (without the quotes).
    struct Envelope {
        var specversion: Range<Int>?
        var id: Range<Int>?
        var source: Range<Int>?
        var type: Range<Int>?
        var time: Range<Int>?
        var subject: Range<Int>?
        /// Where the `data` value starts.
        var data: Int?
        /// Other top-level members (extensions) were present. (Plain data, so that copying
        /// an envelope costs no reference counting.)
        var hasOthers = false
    }

    /// A member of a validated object: its key, and its string contents when the value is a string.
    struct Member {
        var key: Range<Int>
        var text: Range<Int>
    }

    mutating func envelope() -> Envelope? {
        var envelope = Envelope()
        guard beginEnvelope() else { return nil }
        return members(into: &envelope, pauseAtData: false) == .done ? envelope : nil
    }

    enum EnvelopeStep {
        case done
        /// Paused at the start of the `data` value (the type is known): the caller reads the
        /// value, then calls `members` again.
        case data
        case invalid
    }

    mutating func beginEnvelope() -> Bool {
        skipSpace()
        guard consume(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if peek() == UInt8(ascii: "}") { afterValue = true }
        return true
    }

    /// Reads envelope members. With `pauseAtData`, stops at `data` once the type is known, so
    /// the caller can check `data` in the same pass instead of skipping it and coming back.
    mutating func members(into envelope: inout Envelope, pauseAtData: Bool) -> EnvelopeStep {
        if afterValue {
            afterValue = false
            if let step = afterMember() { return step }
        }
        while true {
            skipSpace()
            guard let key = stringContent() else { return .invalid }
            skipSpace()
            guard consume(UInt8(ascii: ":")) else { return .invalid }
            skipSpace()
            // A repeated member: the checked path decides what that means.
            switch attribute(key) {
            case .specversion: guard envelope.specversion == nil, let text = stringContent() else { return .invalid }; envelope.specversion = text
            case .id: guard envelope.id == nil, let text = stringContent() else { return .invalid }; envelope.id = text
            case .source: guard envelope.source == nil, let text = stringContent() else { return .invalid }; envelope.source = text
            case .type: guard envelope.type == nil, let text = stringContent() else { return .invalid }; envelope.type = text
            case .time: guard envelope.time == nil, let text = stringContent() else { return .invalid }; envelope.time = text
            case .subject: guard envelope.subject == nil, let text = stringContent() else { return .invalid }; envelope.subject = text
            case .data:
                guard envelope.data == nil, peek() == UInt8(ascii: "{") else { return .invalid }
                envelope.data = position
                if pauseAtData && envelope.type != nil {
                    afterValue = true
                    return .data
                }
                guard skipValue() else { return .invalid }
            case nil:
                for other in others where same(other, key) { return .invalid }
                others.append(key)
                envelope.hasOthers = true
                guard skipValue() else { return .invalid }
            }
            if let step = afterMember() { return step }
        }
    }

    /// After a member: nil when a `,` says another follows.
    private mutating func afterMember() -> EnvelopeStep? {
        skipSpace()
        if consume(UInt8(ascii: ",")) { return nil }
        guard consume(UInt8(ascii: "}")) else { return .invalid }
        return trailingSpaceOnly() ? .done : .invalid
    }

    private enum Attribute {
        case specversion, id, source, type, time, subject, data
    }

    private func attribute(_ key: Range<Int>) -> Attribute? {
        switch key.count {
        case 2: return matches(key, "id") ? .id : nil
        case 4:
            if matches(key, "type") { return .type }
            if matches(key, "time") { return .time }
            if matches(key, "data") { return .data }
            return nil
        case 6: return matches(key, "source") ? .source : nil
        case 7: return matches(key, "subject") ? .subject : nil
        case 11: return matches(key, "specversion") ? .specversion : nil
        default: return nil
        }
    }

    private func matches(_ range: Range<Int>, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard range.count == count else { return false }
        let text = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[range.lowerBound + offset] != text[offset] { return false }
        return true
    }

    private func isASCII(_ range: Range<Int>) -> Bool {
        for index in range where bytes[index] >= 0x80 { return false }
        return true
    }

    private func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        bytesEqual(UnsafeBufferPointer(rebasing: bytes[a]), UnsafeBufferPointer(rebasing: bytes[b]))
    }

    /// Whether `key` names `field` (compared as UTF-8, as JSON keys are).
    private func names(_ key: Range<Int>, _ field: String) -> Bool {
        let utf8 = field.utf8
        guard utf8.count == key.count else { return false }
        let slice = UnsafeBufferPointer(rebasing: bytes[key])
        return utf8.withContiguousStorageIfAvailable { bytesEqual($0, slice) } ?? utf8.elementsEqual(slice)
    }

    /// Checks a value exactly as `value(as:)` decodes it, without building anything. With
    /// `members`, an object's top-level string members are noted there.
    mutating func validate(as type: CELType, members: UnsafeMutablePointer<[Member]>? = nil) -> Bool {
        skipSpace()
        guard let byte = peek() else { return false }
        switch type {
        case .string:
            return stringContent() != nil
        case .int:
            return integer() != nil
        case .double:
            return numberRange() != nil
        case .bool:
            return literal("true") || literal("false")
        case .timestamp:
            guard let text = stringContent() else { return false }
            return CELTimestamp.parse(utf8: UnsafeBufferPointer(rebasing: bytes[text])) != nil
        case .list(let element):
            guard byte == UInt8(ascii: "["), depth < 64 else { return false }
            depth += 1
            defer { depth -= 1 }
            position += 1
            skipSpace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                guard validate(as: element) else { return false }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        case .record(let recordType):
            guard byte == UInt8(ascii: "{"), depth < 64, recordType.fields.count <= 64 else { return false }
            depth += 1
            defer { depth -= 1 }
            position += 1
            var seen: UInt64 = 0
            skipSpace()
            if !consume(UInt8(ascii: "}")) {
                while true {
                    skipSpace()
                    // Non-ASCII keys are left to the checked path: the builder matches field
                    // names as Swift strings, which compare by canonical equivalence.
                    guard let key = stringContent(), isASCII(key) else { return false }
                    skipSpace()
                    guard consume(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                    if let field = recordType.fields.first(where: { names(key, $0.name) }) {
                        let bit: UInt64 = 1 << UInt64(field.slot)
                        guard seen & bit == 0 else { return false }
                        seen |= bit
                        if literal("null") {
                            guard field.optional else { return false }
                        } else if case .string = field.type, let members {
                            guard let text = stringContent() else { return false }
                            members.pointee.append(Member(key: key, text: text))
                        } else {
                            guard validate(as: field.type) else { return false }
                        }
                    } else {
                        guard skipValue() else { return false }
                    }
                    skipSpace()
                    if consume(UInt8(ascii: ",")) { continue }
                    guard consume(UInt8(ascii: "}")) else { return false }
                    break
                }
            }
            for field in recordType.fields where !field.optional && seen & (1 << UInt64(field.slot)) == 0 { return false }
            return true
        case .dyn:
            return validateDynamic(members: members)
        default:
            return false
        }
    }

    /// Checks an untyped value exactly as `dynamic()` decodes it, without building it. Objects
    /// with non-ASCII or more than 64 keys are left to `dynamic()` (false): it compares keys as
    /// Swift strings, and comparing every pair here would be quadratic.
    mutating func validateDynamic(members: UnsafeMutablePointer<[Member]>? = nil) -> Bool {
        skipSpace()
        guard let byte = peek(), depth < 64 else { return false }
        switch byte {
        case UInt8(ascii: "\""): return stringContent() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            position += 1
            skipSpace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                guard validateDynamic() else { return false }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            position += 1
            var keys: [Range<Int>] = []
            skipSpace()
            if consume(UInt8(ascii: "}")) { return true }
            while true {
                skipSpace()
                guard let key = stringContent(), isASCII(key), keys.count < 64 else { return false }
                for other in keys where same(other, key) { return false }
                keys.append(key)
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipSpace()
                if let members, peek() == UInt8(ascii: "\"") {
                    guard let text = stringContent() else { return false }
                    members.pointee.append(Member(key: key, text: text))
                } else {
                    guard validateDynamic() else { return false }
                }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "}"))
            }
        default:
            let start = position
            guard let (_, integral) = numberRange() else { return false }
            if integral {
                position = start
                return integer() != nil
            }
            return true
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
            let start = position
            guard let (range, integral) = numberRange() else { return nil }
            if integral {
                position = start
                return integer().map(CELValue.int)
            }
            return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)).map(CELValue.double)
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
        stringContent().map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
    }

    /// The contents of a string without escapes or control characters, checked to be valid
    /// UTF-8 (so `String(decoding:)` of them never repairs anything).
    mutating func stringContent() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = position
        var ascii = true
        while true {
            skipPlainASCII()
            guard position < bytes.count else { return nil }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let range = start..<position
                position += 1
                return ascii || Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[range])) ? range : nil
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
    }

    /// Skips to the first quote, backslash, control character or non-ASCII byte, 8 bytes at a
    /// time: most of a line is such string contents (ids, names, times).
    private mutating func skipPlainASCII() {
        guard let base = bytes.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= bytes.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            // Per byte, exactly: its low 7 bits equal to `"` or `\`, or below 0x20 (no carry
            // crosses bytes, as every lane stays below 0x100); bytes with the high bit set are
            // flagged by `highs` anyway.
            let low = word & lows
            let quote = low ^ (ones &* 0x22)
            let backslash = low ^ (ones &* 0x5C)
            let isQuote = ~((quote &+ lows) | quote)
            let isBackslash = ~((backslash &+ lows) | backslash)
            let isControl = ~(low &+ ones &* 0x60)
            let special = (isQuote | isBackslash | isControl | word) & highs
            if special != 0 {
                position += special.trailingZeroBitCount / 8
                return
            }
            position += 8
        }
    }

    /// RFC 3629 well-formedness (no overlong forms, surrogates or values above U+10FFFF), by the
    /// standard library's validator: only strings holding non-ASCII bytes come here.
    static func isValidUTF8(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        String(validating: text, as: UTF8.self) != nil
    }

    /// The bytes of a JSON number and whether it has neither fraction nor exponent.
    private mutating func numberRange() -> (Range<Int>, Bool)? {
        let start = position
        var integral = true
        if peek() == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while let byte = peek(), byte >= 48, byte <= 57 { position += 1 }
        // Past about 300 digits or a 3-digit exponent a number may overflow a double, which
        // `JSONSerialization` rejects: the checked path decides those.
        guard position > digitsStart, position - digitsStart <= 300 else { return nil }
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
            guard position > exponentStart, position - exponentStart <= 2 else { return nil }
        }
        return (start..<position, integral)
    }

    /// An integral JSON number that fits in an `Int64` (as `Int64(text)` would read it).
    private mutating func integer() -> Int64? {
        guard let (range, integral) = numberRange(), integral else { return nil }
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value: Int64 = 0
        while index < range.upperBound {
            let digit = Int64(bytes[index] - 48)
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, carry) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = next
            index += 1
        }
        return value
    }

    private mutating func double() -> Double? {
        guard let (range, _) = numberRange() else { return nil }
        return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
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
                skipPlainASCII()
                guard position < bytes.count else { return false }
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
        default: return numberRange() != nil
        }
    }
}
