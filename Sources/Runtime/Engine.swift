import CEL
import Diagnostics
import Foundation
import Graph

/// Where `now` comes from (SPEC 4.3).
public enum RunClock: String, Sendable {
    case event, wall
}

/// What `flowc run` prints at exit (SPEC 8.6).
public struct RunCounts: Sendable, Equatable {
    public var eventsRead = 0
    public var rejected = 0
    public var duplicates = 0
    /// Valid events of types no flow listens to.
    public var droppedByType = 0
    /// Runs by final status (`succeeded`, `failed`, `cancelled`).
    public var runs: [String: Int] = [:]
    /// Events that fired a `single` flow while it was running.
    public var droppedSingle = 0
    /// Runs not started because a trigger filter or condition failed to evaluate.
    public var notStarted = 0

    public init() {}

    public var runsStarted: Int { runs.values.reduce(0, +) }

    public var summary: String {
        let statuses = ["succeeded", "failed", "cancelled"] + runs.keys.filter { !["succeeded", "failed", "cancelled"].contains($0) }.sorted()
        let runText = statuses.map { "\(runs[$0] ?? 0) \($0)" }.joined(separator: ", ")
        return "flowc run: \(eventsRead) events read, \(rejected) rejected, \(duplicates) duplicates, \(droppedByType) dropped by type; "
            + "\(runsStarted) runs started (\(runText)); \(droppedSingle) dropped (single); \(notStarted) not started (evaluation errors)"
    }
}

/// Counts updated by concurrent runs.
final class SharedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = RunCounts()

    func update(_ change: (inout RunCounts) -> Void) {
        lock.lock()
        change(&counts)
        lock.unlock()
    }

    var value: RunCounts {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}

/// Runs in flight: lets the reader wait for all of them, or for room (backpressure).
final class RunTracker: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = 0

    func begin() {
        condition.lock()
        pending += 1
        condition.unlock()
    }

    func end() {
        condition.lock()
        pending -= 1
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending
    }

    /// Blocks the calling (non-cooperative) thread until at most `limit` runs are pending.
    func wait(atMost limit: Int) {
        condition.lock()
        while pending > limit { condition.wait() }
        condition.unlock()
    }
}

/// One flow's runs, by its concurrency mode (SPEC 8.4).
final class FlowLane: @unchecked Sendable {
    private let lock = NSLock()
    private var tail: Task<Void, Never>?
    private var active = 0
    let mode: ConcurrencyMode

    init(mode: ConcurrencyMode) {
        self.mode = mode
    }

    /// Starts `work` as the mode says; false when `single` drops it.
    func submit(_ work: @escaping @Sendable () async -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if mode == .single && active > 0 { return false }
        active += 1
        let done: @Sendable () -> Void = { [self] in
            lock.lock()
            active -= 1
            lock.unlock()
        }
        switch mode {
        case .queued:
            let previous = tail
            tail = Task {
                await previous?.value
                await work()
                done()
            }
        case .single, .parallel:
            Task {
                await work()
                done()
            }
        }
        return true
    }
}

/// The dispatcher (SPEC 8.2): decodes lines, offers events to the flows that listen to
/// their type, decides triggers and conditions in input order, and hands runs to lanes.
/// Used from one thread; runs execute on Swift's concurrency pool.
public final class Engine {
    public let flows: [CompiledFlow]
    let services: RunServices
    let decoder: EventDecoder
    let fastDecoder: FastEventDecoder
    let clock: RunClock
    let thresholds: any ThresholdStore
    let window: any ProcessedEventWindow
    /// Shown in rejection messages (`events.ndjson:12: ...`).
    public var inputName: String
    /// The reader blocks when this many runs are pending.
    public var maxPendingRuns = 10_000
    private let counts = SharedCounts()
    private let tracker = RunTracker()
    private let lanes: [FlowLane]
    private let index: DispatchIndex
    private var activations: [CELActivation]
    private var triggerParameters: [CELValue]
    private let flowNames: [CELValue]

    public init(flows: [CompiledFlow], services: RunServices, registry: EventTypeRegistry, clock: RunClock = .event, thresholds: any ThresholdStore = InMemoryThresholdStore(), window: any ProcessedEventWindow = InMemoryEventWindow(), inputName: String = "-") {
        self.flows = flows
        self.services = services
        self.decoder = EventDecoder(registry: registry)
        self.fastDecoder = FastEventDecoder(registry: registry)
        self.clock = clock
        self.thresholds = thresholds
        self.window = window
        self.inputName = inputName
        lanes = flows.map { FlowLane(mode: $0.concurrency) }
        index = DispatchIndex(flows: flows)
        activations = flows.map { flow in
            let activation = CELActivation(environment: flow.environment)
            activation[flow.slots.env] = services.env
            activation[flow.slots.secrets] = services.secrets
            activation[flow.slots.vars] = RuntimeValues.map([])
            activation[flow.slots.actions] = RuntimeValues.map([])
            return activation
        }
        triggerParameters = flows.map { RuntimeValues.map($0.parameters) }
        flowNames = flows.map { RuntimeValues.map([("name", .string($0.name))]) }
        for (position, flow) in flows.enumerated() {
            activations[position][flow.slots.flow] = flowNames[position]
            activations[position][flow.slots.trigger] = triggerParameters[position]
        }
    }

    public var currentCounts: RunCounts { counts.value }

    /// Processes one input line (1-based `number`).
    public func process(line: some StringProtocol, number: Int) {
        var text = String(line)
        text.withUTF8 { process(bytes: $0, number: number) }
    }

    /// Rejects a line without decoding it (a line too long to read, say).
    public func reject(line: String, number: Int, reason: String) {
        handle(.rejected(reason), line: line, number: number)
    }

    /// Processes one input line given as UTF-8 bytes, without its newline.
    public func process(bytes: UnsafeBufferPointer<UInt8>, number: Int) {
        let index = self.index
        switch fastDecoder.decode(bytes, number: number, listens: { index.listens($0) }, readTime: Timestamps.celNow) {
        case .event(let event): handle(.event(event), line: "", number: number)
        case .unlistened(let type): handle(.unlistened(type: type), line: "", number: number)
        case .fallback:
            let line = String(decoding: bytes, as: UTF8.self)
            let decoded = decoder.decode(line, number: number, listens: { index.listens($0) }, readTime: Timestamps.celNow)
            handle(decoded, line: line, number: number)
        }
    }

    private func handle(_ decoded: DecodedLine, line: String, number: Int) {
        switch decoded {
        case .blank: return
        case .rejected(let message):
            counts.update { $0.eventsRead += 1; $0.rejected += 1 }
            services.outputs.logLine("\(inputName):\(number): \(message)")
            services.outputs.deadLetter?.write(line)
        case .unlistened:
            counts.update { $0.eventsRead += 1; $0.droppedByType += 1 }
        case .event(let event):
            guard window.insert(source: event.source, id: event.id) else {
                counts.update { $0.eventsRead += 1; $0.duplicates += 1 }
                return
            }
            counts.update { $0.eventsRead += 1 }
            dispatch(event)
        }
    }

    /// Offers an accepted event to its listeners, in flow order.
    public func dispatch(_ event: InputEvent) {
        let now = clock == .event ? event.time : Timestamps.celNow()
        for position in index.listeners(of: event) {
            let flow = flows[position]
            let activation = activations[position]
            activation[flow.slots.event] = event.value
            activation[flow.slots.now] = .timestamp(now)
            activation[flow.slots.trigger] = triggerParameters[position]
            let trigger: CELValue
            switch decideTrigger(flow, activation: activation, parameters: triggerParameters[position]) {
            case .quiet: continue
            case .failed(let message):
                notStarted(flow, event: event, message: message)
                continue
            case .fired(let value): trigger = value
            }
            activation[flow.slots.trigger] = trigger
            var holds = true
            for (program, expression) in flow.conditions {
                switch program.evaluate(activation) {
                case .bool(true): continue
                case .bool(false): holds = false
                case .error(let error):
                    notStarted(flow, event: event, message: "condition `\(expression.source)`: \(error.message)", span: expression.span)
                    holds = false
                default:
                    notStarted(flow, event: event, message: "condition `\(expression.source)` is not a bool", span: expression.span)
                    holds = false
                }
                if !holds { break }
            }
            guard holds else { continue }
            start(flow, lane: lanes[position], event: event, trigger: trigger, now: now)
        }
    }

    private enum TriggerDecision {
        case quiet
        case fired(CELValue)
        case failed(String)
    }

    private func decideTrigger(_ flow: CompiledFlow, activation: CELActivation, parameters: CELValue) -> TriggerDecision {
        let trigger = flow.graph.trigger
        if let filter = flow.filter {
            switch filter.evaluate(activation) {
            case .bool(true): break
            case .bool(false): return .quiet
            case .error(let error): return .failed("trigger filter: \(error.message)")
            default: return .failed("trigger filter is not a bool")
            }
        }
        guard trigger.kind == .threshold else { return .fired(parameters) }
        guard let keyProgram = flow.key, let valueProgram = flow.value, let threshold = trigger.threshold else { return .quiet }
        let key: String
        switch keyProgram.evaluate(activation) {
        case .string(let text): key = text
        case .error(let error): return .failed("trigger key: \(error.message)")
        case let other: key = CELLiteral.format(other)
        }
        let observed: ObservedNumber
        switch valueProgram.evaluate(activation) {
        case .int(let number): observed = .int(number)
        case .uint(let number): observed = .double(Double(number))
        case .double(let number): observed = .double(number)
        case .error(let error): return .failed("trigger value: \(error.message)")
        default: return .failed("trigger value is not a number")
        }
        let above = observed.doubleValue > threshold
        let previous = thresholds.observation(flow: flow.name, key: key)
        thresholds.record(ThresholdObservation(above: above, value: observed), flow: flow.name, key: key)
        guard let previous, previous.above != above else { return .quiet }
        let moved = above ? "up" : "down"
        let allowed = trigger.direction ?? "up"
        guard allowed == "any" || allowed == moved else { return .quiet }
        func number(_ value: ObservedNumber) -> CELValue {
            switch value {
            case .int(let integer): return flow.thresholdIsInt ? .int(integer) : .double(Double(integer))
            case .double(let double): return .double(double)
            }
        }
        var entries = flow.parameters.filter { !["previous", "current", "direction", "key"].contains($0.0) }
        entries += [("previous", number(previous.value)), ("current", number(observed)), ("direction", .string(moved)), ("key", .string(key))]
        return .fired(RuntimeValues.map(entries))
    }

    private func notStarted(_ flow: CompiledFlow, event: InputEvent, message: String, span: GraphSpan? = nil) {
        counts.update { $0.notStarted += 1 }
        let place = span.map { " (\($0.file):\($0.line):\($0.column))" } ?? ""
        services.outputs.logLine("\(inputName):\(event.line): flow `\(flow.name)`: run not started: \(message)\(place)")
    }

    private func start(_ flow: CompiledFlow, lane: FlowLane, event: InputEvent, trigger: CELValue, now: CELTimestamp) {
        let services = self.services
        let counts = self.counts
        let tracker = self.tracker
        let runID = Self.runID(flow: flow.name, event: event)
        tracker.begin()
        let accepted = lane.submit {
            let record = await RunExecutor(flow: flow, event: event, runID: runID, trigger: trigger, now: now, services: services).run()
            services.outputs.finished(record)
            counts.update { $0.runs[record.status, default: 0] += 1 }
            tracker.end()
        }
        if !accepted {
            tracker.end()
            counts.update { $0.droppedSingle += 1 }
        }
    }

    /// Deterministic: the same flow and event always get the same id.
    static func runID(flow: String, event: InputEvent) -> String {
        let hash = InMemoryEventWindow.hash(source: flow + "\u{0}" + event.source, id: event.id)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Blocks until fewer than `maxPendingRuns` runs are pending (call from a plain thread).
    public func waitForRoom() {
        tracker.wait(atMost: maxPendingRuns)
    }

    /// Waits for every started run, flushes the outputs and returns the counts.
    public func finish() async -> RunCounts {
        while tracker.count > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        services.outputs.flush()
        return counts.value
    }

    /// `finish` for a plain (non-async) thread.
    public func finishBlocking() -> RunCounts {
        tracker.wait(atMost: 0)
        services.outputs.flush()
        return counts.value
    }
}

/// From event type to listening enabled flows: exact types in a dictionary, wildcard
/// patterns resolved once per new type, so an event costs nothing for flows that ignore it.
/// Threshold flows whose filter requires `event.data.KEY == trigger.KEY` (every catalog
/// threshold trigger) are indexed by that value too: a `segment.refresh` only reaches the
/// flows watching its segment, however many segments are watched.
final class DispatchIndex {
    struct Keyed {
        var field: String
        var byValue: [String: [Int]]
    }

    private var exact: [String: [Int]] = [:]
    private var patterns: [(String, Int)] = []
    private var resolved: [String: [Int]] = [:]
    private var keyed: [String: [Keyed]] = [:]

    init(flows: [CompiledFlow]) {
        for (position, flow) in flows.enumerated() where flow.graph.enabled {
            if let (field, value) = Self.keyField(flow), flow.graph.trigger.eventTypes.allSatisfy({ !$0.contains("*") }) {
                for type in flow.graph.trigger.eventTypes {
                    var groups = keyed[type] ?? []
                    if let group = groups.firstIndex(where: { $0.field == field }) {
                        groups[group].byValue[value, default: []].append(position)
                    } else {
                        groups.append(Keyed(field: field, byValue: [value: [position]]))
                    }
                    keyed[type] = groups
                }
                continue
            }
            for pattern in flow.graph.trigger.eventTypes {
                if pattern.contains("*") { patterns.append((pattern, position)) } else { exact[pattern, default: []].append(position) }
            }
        }
    }

    /// `(segment, "VIP Customers")` when the flow's filter is a plain conjunction holding
    /// `event.data.segment == trigger.segment` and the trigger has that string parameter.
    static func keyField(_ flow: CompiledFlow) -> (String, String)? {
        let trigger = flow.graph.trigger
        guard trigger.kind == .threshold, let key = trigger.key?.source, let filter = trigger.filter?.source,
              key.hasPrefix("event.data.") else { return nil }
        let field = String(key.dropFirst("event.data.".count))
        guard !field.isEmpty, field.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
              !filter.contains("||"), !filter.contains("?"), !filter.contains("(") else { return nil }
        let conjuncts = filter.components(separatedBy: "&&").map { $0.trimmingCharacters(in: .whitespaces) }
        guard conjuncts.contains("event.data.\(field) == trigger.\(field)") else { return nil }
        guard case .string(let value)? = flow.parameters.first(where: { $0.0 == field })?.1 else { return nil }
        return (field, value)
    }

    /// Whether any flow listens to `type` (then its data is checked).
    func listens(_ type: String) -> Bool {
        keyed[type] != nil || !listeners(of: type).isEmpty
    }

    /// The flows an accepted event goes to, in flow order.
    func listeners(of event: InputEvent) -> [Int] {
        var positions = listeners(of: event.type)
        guard let groups = keyed[event.type] else { return positions }
        for group in groups {
            guard case .record(let record) = event.value, case .record(let data)? = record["data"],
                  case .string(let value)? = data[group.field], let matches = group.byValue[value] else { continue }
            positions += matches
        }
        if groups.count > 0 { positions.sort() }
        return positions
    }

    func listeners(of type: String) -> [Int] {
        if let known = resolved[type] { return known }
        var positions = exact[type] ?? []
        for (pattern, position) in patterns where Glob.matches(type, pattern: pattern) && !positions.contains(position) {
            positions.append(position)
        }
        positions.sort()
        if resolved.count < 100_000 { resolved[type] = positions }
        return positions
    }
}
