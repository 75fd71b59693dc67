import CEL
import Graph

/// Byte equality, 8 bytes at a time: the names and values compared here are short, where a
/// `memcmp` call costs more than the comparison.
@inline(__always)
func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    guard let first = a.baseAddress, let second = b.baseAddress else { return true }
    var index = 0
    while index + 8 <= a.count {
        let x = UnsafeRawPointer(first + index).loadUnaligned(as: UInt64.self)
        let y = UnsafeRawPointer(second + index).loadUnaligned(as: UInt64.self)
        if x != y { return false }
        index += 8
    }
    while index < a.count {
        if first[index] != second[index] { return false }
        index += 1
    }
    return true
}

/// A necessary condition of a trigger filter on one string field of `event.data`, read off
/// the filter's syntax tree: when the field holds a string the test rejects, the filter is
/// `false` (never an error), so the flow need not be offered the event at all.
struct FieldGuard: Equatable {
    enum Test: Equatable {
        /// `event.data.F == "a"`, `event.data.F in ["a", "b"]`, `["a"].exists(p, event.data.F == p)`.
        case oneOf([[UInt8]])
        /// `["Sales*"].exists(p, globMatch(event.data.F, p))`.
        case glob([[UInt8]])

        var isOneOf: Bool {
            if case .oneOf = self { return true }
            return false
        }
    }

    var field: [UInt8]
    var test: Test

    var fieldName: String { String(decoding: field, as: UTF8.self) }

    func admits(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch test {
        case .oneOf(let values):
            for value in values where value.count == text.count {
                if value.withUnsafeBufferPointer({ bytesEqual($0, text) }) { return true }
            }
            return false
        case .glob(let patterns):
            for pattern in patterns where pattern.withUnsafeBufferPointer({ Glob.matches(utf8: text, pattern: $0) }) {
                return true
            }
            return false
        }
    }
}

/// Derives the guards of a filter: the conjuncts of its top-level `&&` chain that test one
/// string field of `event.data` against constants. `trigger.NAME` is a constant here (the
/// flow's trigger parameters), so `trigger.status == 'any' || event.data.status == trigger.status`
/// folds to a guard, or to nothing when the parameter is `any`. Conjuncts of any other shape
/// give no guard; they are still evaluated, with the whole filter, for the flows that pass.
enum FilterGuards {
    static func derive(filter source: String?, parameters: [(String, CELValue)]) -> [FieldGuard] {
        guard let source, case .success(let parsed) = CELParser.parse(source) else { return [] }
        var constants: [String: CELValue] = [:]
        for (name, value) in parameters { constants[name] = value }
        var guards: [FieldGuard] = []
        for conjunct in conjuncts(parsed.root) {
            guard case .guarded(let found) = fold(conjunct, constants: constants) else { continue }
            // Two sets of allowed values for one field: only their common values pass.
            if case .oneOf(let values) = found.test,
               let earlier = guards.firstIndex(where: { $0.field == found.field && $0.test.isOneOf }),
               case .oneOf(let allowed) = guards[earlier].test {
                guards[earlier].test = .oneOf(allowed.filter { values.contains($0) })
            } else {
                guards.append(found)
            }
        }
        return guards
    }

    private static func conjuncts(_ expr: CELExpr) -> [CELExpr] {
        if case .call(CELOperator.logicalAnd, nil, let arguments) = expr.kind, arguments.count == 2 {
            return conjuncts(arguments[0]) + conjuncts(arguments[1])
        }
        return [expr]
    }

    private enum Folded {
        case constant(CELValue)
        case guarded(FieldGuard)
        case unknown
    }

    private static func fold(_ expr: CELExpr, constants: [String: CELValue]) -> Folded {
        switch expr.kind {
        case .literal(let value):
            return .constant(value)
        case .list(let elements):
            var values: [CELValue] = []
            for element in elements {
                guard case .constant(let value) = fold(element, constants: constants) else { return .unknown }
                values.append(value)
            }
            return .constant(.list(values))
        case .select(let operand, let field, false):
            if case .identifier("trigger") = operand.kind, let value = constants[field] { return .constant(value) }
            return .unknown
        case .call(CELOperator.logicalAnd, nil, let arguments) where arguments.count == 2:
            // Inside `||`: either side's guard is necessary for the conjunction.
            let left = fold(arguments[0], constants: constants)
            let right = fold(arguments[1], constants: constants)
            if case .constant(.bool(false)) = left { return left }
            if case .constant(.bool(false)) = right { return right }
            if case .constant(.bool(true)) = left { return right }
            if case .constant(.bool(true)) = right { return left }
            if case .guarded = left { return left }
            if case .guarded = right { return right }
            return .unknown
        case .call(CELOperator.logicalOr, nil, let arguments) where arguments.count == 2:
            let left = fold(arguments[0], constants: constants)
            let right = fold(arguments[1], constants: constants)
            if case .constant(.bool(true)) = left { return left }
            if case .constant(.bool(true)) = right { return right }
            if case .constant(.bool(false)) = left { return right }
            if case .constant(.bool(false)) = right { return left }
            return .unknown
        case .call("_==_", nil, let arguments) where arguments.count == 2:
            let left = fold(arguments[0], constants: constants)
            let right = fold(arguments[1], constants: constants)
            if case .constant(.string(let a)) = left, case .constant(.string(let b)) = right {
                return .constant(.bool(a.utf8.elementsEqual(b.utf8)))
            }
            if let field = dataField(arguments[0]), case .constant(.string(let value)) = right {
                return .guarded(FieldGuard(field: Array(field.utf8), test: .oneOf([Array(value.utf8)])))
            }
            if let field = dataField(arguments[1]), case .constant(.string(let value)) = left {
                return .guarded(FieldGuard(field: Array(field.utf8), test: .oneOf([Array(value.utf8)])))
            }
            return .unknown
        case .call(CELOperator.in, nil, let arguments) where arguments.count == 2:
            guard let field = dataField(arguments[0]), case .constant(let list) = fold(arguments[1], constants: constants),
                  let values = strings(list) else { return .unknown }
            return .guarded(FieldGuard(field: Array(field.utf8), test: .oneOf(values)))
        case .comprehension(let comprehension):
            return foldExists(comprehension, constants: constants)
        default:
            return .unknown
        }
    }

    /// `LIST.exists(p, globMatch(event.data.F, p))` and `LIST.exists(p, event.data.F == p)`.
    private static func foldExists(_ comprehension: CELExpr.Comprehension, constants: [String: CELValue]) -> Folded {
        let variable = comprehension.variable
        guard comprehension.macro == .exists, comprehension.filter == nil, variable != "event", variable != "trigger",
              case .constant(let list) = fold(comprehension.range, constants: constants), let values = strings(list),
              case .call(let function, nil, let arguments) = comprehension.body.kind, arguments.count == 2 else { return .unknown }
        func isVariable(_ expr: CELExpr) -> Bool {
            if case .identifier(let name) = expr.kind { return name == variable }
            return false
        }
        switch function {
        case "globMatch":
            guard let field = dataField(arguments[0]), isVariable(arguments[1]) else { return .unknown }
            // A pattern without `*` matches only itself: an equality, which can be indexed.
            let wildcard = values.contains { $0.contains(UInt8(ascii: "*")) }
            return .guarded(FieldGuard(field: Array(field.utf8), test: wildcard ? .glob(values) : .oneOf(values)))
        case "_==_":
            if let field = dataField(arguments[0]), isVariable(arguments[1]) {
                return .guarded(FieldGuard(field: Array(field.utf8), test: .oneOf(values)))
            }
            if let field = dataField(arguments[1]), isVariable(arguments[0]) {
                return .guarded(FieldGuard(field: Array(field.utf8), test: .oneOf(values)))
            }
            return .unknown
        default:
            return .unknown
        }
    }

    /// `F` of `event.data.F`.
    private static func dataField(_ expr: CELExpr) -> String? {
        guard case .select(let data, let field, false) = expr.kind, case .select(let event, "data", false) = data.kind,
              case .identifier("event") = event.kind else { return nil }
        return field
    }

    private static func strings(_ value: CELValue) -> [[UInt8]]? {
        guard case .list(let items) = value else { return nil }
        var values: [[UInt8]] = []
        for item in items {
            guard case .string(let text) = item else { return nil }
            values.append(Array(text.utf8))
        }
        return values
    }
}

/// Where a guard finds `event.data.F`: the raw members of the input line, or a decoded value.
protocol GuardedFields {
    /// Calls `body` with the field's UTF-8 text when it is a string, with nil when it is
    /// absent or not a string (then no guard can reject it).
    func withText<Result>(of field: [UInt8], _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result
}

/// The listening flows of one event type, with their guards and an index by guard value: an
/// event costs a hash lookup per indexed field, not a filter evaluation per flow.
final class DispatchRoute {
    struct Listener {
        var position: Int
        var guards: [FieldGuard]
    }

    /// One field some listeners are indexed by: listener numbers by the field's value.
    struct KeyedField {
        var field: [UInt8]
        var byValue: [UInt64: [(value: [UInt8], listeners: [Int])]]
        /// Every listener indexed here, for events where the field is absent or not a string.
        var all: [Int]
    }

    let type: String
    let listeners: [Listener]
    /// The catalog's record type of this event type, nil for `dyn` events.
    let recordType: CELRecordType?
    /// The type of its `data` field (looked up once, not per event).
    let dataType: CELType?
    /// Whether the fast decoder fills every envelope field of `recordType`.
    let envelopeDecodable: Bool
    private let keyed: [KeyedField]
    /// Listeners not in `keyed`: offered every event of the type (their guards still apply).
    private let scanned: [Int]
    @exclusivity(unchecked) private var candidates: [Int] = []

    init(type: String, listeners: [Listener], eventType: CELType?) {
        self.type = type
        self.listeners = listeners
        if case .record(let record)? = eventType { recordType = record } else { recordType = nil }
        dataType = recordType?.field(named: "data")?.type
        envelopeDecodable = recordType.map(FastEventDecoder.decodesEnvelope) ?? true
        // Each listener is indexed by its equality guard on the field with the most distinct
        // values among the listeners (a name, not a status); the rest are scanned.
        var distinct: [[UInt8]: Set<[UInt8]>] = [:]
        for listener in listeners {
            for found in listener.guards {
                if case .oneOf(let values) = found.test { distinct[found.field, default: []].formUnion(values) }
            }
        }
        var keyed: [KeyedField] = []
        var scanned: [Int] = []
        for (number, listener) in listeners.enumerated() {
            var best: FieldGuard?
            var bestCount = 0
            for found in listener.guards {
                guard case .oneOf = found.test else { continue }
                let count = distinct[found.field]?.count ?? 0
                if best == nil || count > bestCount { (best, bestCount) = (found, count) }
            }
            guard let best, case .oneOf(let values) = best.test else {
                scanned.append(number)
                continue
            }
            let group = keyed.firstIndex { $0.field == best.field } ?? keyed.count
            if group == keyed.count { keyed.append(KeyedField(field: best.field, byValue: [:], all: [])) }
            keyed[group].all.append(number)
            for value in Set(values) {
                let hash = Self.hash(value)
                var bucket = keyed[group].byValue[hash] ?? []
                if let existing = bucket.firstIndex(where: { $0.value == value }) {
                    bucket[existing].listeners.append(number)
                } else {
                    bucket.append((value, [number]))
                }
                keyed[group].byValue[hash] = bucket
            }
        }
        self.keyed = keyed
        self.scanned = scanned
        candidates.reserveCapacity(listeners.count)
    }

    /// The listeners (numbers into `listeners`, in flow order) whose guards admit the event.
    /// The array is reused: read it before the next call.
    func admitted(_ fields: some GuardedFields) -> [Int] {
        candidates.removeAll(keepingCapacity: true)
        candidates.append(contentsOf: scanned)
        for group in keyed {
            fields.withText(of: group.field) { text in
                guard let text else {
                    candidates.append(contentsOf: group.all)
                    return
                }
                guard let bucket = group.byValue[Self.hash(text)] else { return }
                for entry in bucket where entry.value.withUnsafeBufferPointer({ bytesEqual($0, text) }) {
                    candidates.append(contentsOf: entry.listeners)
                }
            }
        }
        if candidates.isEmpty { return candidates }
        if keyed.count > 0 && candidates.count > 1 {
            candidates.sort()
            var last = -1
            candidates.removeAll { number in
                defer { last = number }
                return number == last
            }
        }
        candidates.removeAll { number in
            for found in listeners[number].guards where !fields.withText(of: found.field, { $0.map(found.admits) ?? true }) {
                return true
            }
            return false
        }
        return candidates
    }

    /// FNV-1a: stable and cheap for the short names guards compare.
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// From event type to its route: exact types and wildcard patterns resolved once per new
/// type (looked up by the type's bytes, so an input line needs no `String` for it), so an
/// event costs nothing for flows that ignore its type, and little for flows whose filters'
/// literal guards reject it.
final class DispatchIndex {
    private var exact: [String: [Int]] = [:]
    private var patterns: [(String, Int)] = []
    private let guards: [[FieldGuard]]
    private let registry: EventTypeRegistry
    private var routes: [UInt64: [(type: [UInt8], route: DispatchRoute?)]] = [:]
    private var routeCount = 0
    /// Distinct event types remembered; beyond it, new types are resolved on every event.
    static let routeLimit = 100_000

    /// `derivesGuards: false` offers every event to every listener of its type (the tests
    /// compare both ways).
    init(flows: [CompiledFlow], registry: EventTypeRegistry, derivesGuards: Bool = true) {
        self.registry = registry
        var guards: [[FieldGuard]] = []
        for (position, flow) in flows.enumerated() {
            guards.append(derivesGuards ? FilterGuards.derive(filter: flow.graph.trigger.filter?.source, parameters: flow.parameters) : [])
            guard flow.graph.enabled else { continue }
            for pattern in flow.graph.trigger.eventTypes {
                if pattern.contains("*") { patterns.append((pattern, position)) } else { exact[pattern, default: []].append(position) }
            }
        }
        self.guards = guards
    }

    /// The guards derived for the flow at `position`.
    func guards(of position: Int) -> [FieldGuard] { guards[position] }

    /// Whether any flow listens to `type` (then its data is checked).
    func listens(_ type: String) -> Bool { route(of: type) != nil }

    /// The route of a type given as UTF-8 bytes; nil when no enabled flow listens to it.
    func route(utf8 type: UnsafeBufferPointer<UInt8>) -> DispatchRoute? {
        let hash = DispatchRoute.hash(type)
        if let bucket = routes[hash] {
            for entry in bucket where entry.type.withUnsafeBufferPointer({ bytesEqual($0, type) }) { return entry.route }
        }
        let name = String(decoding: type, as: UTF8.self)
        let route = resolve(name)
        if routeCount < Self.routeLimit {
            routes[hash, default: []].append((Array(type), route))
            routeCount += 1
        }
        return route
    }

    func route(of type: String) -> DispatchRoute? {
        var name = type
        return name.withUTF8 { route(utf8: $0) }
    }

    private func resolve(_ type: String) -> DispatchRoute? {
        var positions = exact[type] ?? []
        for (pattern, position) in patterns where Glob.matches(type, pattern: pattern) && !positions.contains(position) {
            positions.append(position)
        }
        guard !positions.isEmpty else { return nil }
        positions.sort()
        let listeners = positions.map { DispatchRoute.Listener(position: $0, guards: guards[$0]) }
        return DispatchRoute(type: type, listeners: listeners, eventType: registry.eventType(type))
    }
}

/// `event.data` of a decoded event as guards read it.
struct DecodedEventFields: GuardedFields {
    let event: CELValue

    func withText<Result>(of field: [UInt8], _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        let name = String(decoding: field, as: UTF8.self)
        var value: CELValue?
        switch event {
        case .record(let record):
            switch record["data"] {
            case .record(let data)?: value = data[name]
            case .map(let data)?: value = data[string: name]
            default: value = nil
            }
        case .map(let map):
            switch map[string: "data"] {
            case .record(let data)?: value = data[name]
            case .map(let data)?: value = data[string: name]
            default: value = nil
            }
        default:
            value = nil
        }
        guard case .string(var text)? = value else { return body(nil) }
        return text.withUTF8 { body($0) }
    }
}
