import CEL
import Diagnostics
import Foundation
import Graph
import Synchronization

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

/// The dispatcher's own counts: bumped once or twice per input line, so atomics rather than
/// a lock (readable from any thread).
final class LineCounts: Sendable {
    let eventsRead = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let droppedByType = Atomic<Int>(0)
    let droppedSingle = Atomic<Int>(0)
    let notStarted = Atomic<Int>(0)

    func add(to counts: inout RunCounts) {
        counts.eventsRead += eventsRead.load(ordering: .relaxed)
        counts.rejected += rejected.load(ordering: .relaxed)
        counts.duplicates += duplicates.load(ordering: .relaxed)
        counts.droppedByType += droppedByType.load(ordering: .relaxed)
        counts.droppedSingle += droppedSingle.load(ordering: .relaxed)
        counts.notStarted += notStarted.load(ordering: .relaxed)
    }
}

/// Runs in flight: lets the reader wait for all of them, or for room (backpressure).
final class RunTracker: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = 0
    /// `pending`, readable without the lock: the reader checks it once per line.
    private let pendingHint = Atomic<Int>(0)

    func begin() {
        condition.lock()
        pending += 1
        pendingHint.store(pending, ordering: .releasing)
        condition.unlock()
    }

    func end() {
        condition.lock()
        pending -= 1
        pendingHint.store(pending, ordering: .releasing)
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
        // Only the reader begins runs, so the hint it reads is never below the true count
        // (other threads only lower it): at or below the limit, there is room.
        if pendingHint.load(ordering: .acquiring) <= limit { return }
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
///
/// An input line is read in two steps (see `FastEventDecoder`): its envelope and `data` are
/// checked without building values, the dispatch index's guards (literal conjuncts of the
/// trigger filters) pick the flows that may fire, and only then, if there are any, is the
/// event built and the full filters evaluated.
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
    private let lineCounts = LineCounts()
    private let tracker = RunTracker()
    private let lanes: [FlowLane]
    private(set) var index: DispatchIndex
    private let activations: [CELActivation]
    private let triggerParameters: [CELValue]
    private let flowNames: [CELValue]
    /// Reused for every line: the top-level string fields of `data`.
    @exclusivity(unchecked) private var members: [JSONScanner.Member] = []
    /// Reused for every line: its envelope.
    @exclusivity(unchecked) private var scanned = FastEventDecoder.ScannedLine(envelope: JSONScanner.Envelope(), time: CELTimestamp.unixEpoch)
    @exclusivity(unchecked) private var lastSource = ""
    @exclusivity(unchecked) private var lastSourceBytes: [UInt8] = []

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
        index = DispatchIndex(flows: flows, registry: registry)
        triggerParameters = flows.map { RuntimeValues.map($0.parameters) }
        flowNames = flows.map { RuntimeValues.map([("name", .string($0.name))]) }
        var activations: [CELActivation] = []
        for (position, flow) in flows.enumerated() {
            let activation = CELActivation(environment: flow.environment)
            activation[flow.slots.env] = services.env
            activation[flow.slots.secrets] = services.secrets
            activation[flow.slots.vars] = RuntimeValues.map([])
            activation[flow.slots.actions] = RuntimeValues.map([])
            activation[flow.slots.flow] = flowNames[position]
            activation[flow.slots.trigger] = triggerParameters[position]
            activations.append(activation)
        }
        self.activations = activations
        members.reserveCapacity(32)
    }

    /// Offers every event to every flow listening to its type, guards or not: the reference
    /// the guarded dispatch is tested against.
    func dispatchWithoutGuards() {
        index = DispatchIndex(flows: flows, registry: fastDecoder.registry, derivesGuards: false)
    }

    public var currentCounts: RunCounts {
        var value = counts.value
        lineCounts.add(to: &value)
        return value
    }

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
        switch FastEventDecoder.scan(bytes, readTime: Timestamps.celNow, into: &scanned, members: &members, route: { index.route(utf8: $0) }) {
        case .fallback:
            fallback(bytes, number: number)
        case .unlistened:
            lineCounts.eventsRead.add(1, ordering: .relaxed)
            lineCounts.droppedByType.add(1, ordering: .relaxed)
        case .listened(let route, checked: false):
            // Data the validator leaves to the builder (or to the checked path).
            guard let event = fastDecoder.event(bytes, scanned, number: number) else { return fallback(bytes, number: number) }
            guard accept(source: event.source, id: event.id) else { return }
            dispatch(event, route: route, admitted: route.admitted(DecodedEventFields(event: event.value)))
        case .listened(let route, checked: true):
            let admitted = route.admitted(ScannedDataFields(line: bytes, members: members))
            guard !admitted.isEmpty else {
                if let source = scanned.envelope.source, let id = scanned.envelope.id {
                    _ = accept(source: sourceText(UnsafeBufferPointer(rebasing: bytes[source])),
                               id: String(decoding: UnsafeBufferPointer(rebasing: bytes[id]), as: UTF8.self))
                }
                return
            }
            guard let event = fastDecoder.event(bytes, scanned, number: number) else { return fallback(bytes, number: number) }
            guard accept(source: event.source, id: event.id) else { return }
            dispatch(event, route: route, admitted: admitted)
        }
    }

    /// The checked path, for lines the fast decoder does not handle.
    private func fallback(_ bytes: UnsafeBufferPointer<UInt8>, number: Int) {
        let line = String(decoding: bytes, as: UTF8.self)
        let index = self.index
        let decoded = decoder.decode(line, number: number, listens: { index.listens($0) }, readTime: Timestamps.celNow)
        handle(decoded, line: line, number: number)
    }

    /// The source as a `String`, reusing the last one: a stream usually has few sources, and
    /// comparing bytes is cheaper than allocating a string per event.
    private func sourceText(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if lastSourceBytes.withUnsafeBufferPointer({ bytesEqual($0, bytes) }) {
            return lastSource
        }
        lastSource = String(decoding: bytes, as: UTF8.self)
        lastSourceBytes = Array(bytes)
        return lastSource
    }

    /// Counts a valid listened event; false for a duplicate.
    private func accept(source: String, id: String) -> Bool {
        guard window.insert(source: source, id: id) else {
            lineCounts.eventsRead.add(1, ordering: .relaxed)
            lineCounts.duplicates.add(1, ordering: .relaxed)
            return false
        }
        lineCounts.eventsRead.add(1, ordering: .relaxed)
        return true
    }

    private func handle(_ decoded: DecodedLine, line: String, number: Int) {
        switch decoded {
        case .blank: return
        case .rejected(let message):
            lineCounts.eventsRead.add(1, ordering: .relaxed)
            lineCounts.rejected.add(1, ordering: .relaxed)
            services.outputs.logLine("\(inputName):\(number): \(message)")
            services.outputs.deadLetter?.write(line)
        case .unlistened:
            lineCounts.eventsRead.add(1, ordering: .relaxed)
            lineCounts.droppedByType.add(1, ordering: .relaxed)
        case .event(let event):
            guard accept(source: event.source, id: event.id) else { return }
            dispatch(event)
        }
    }

    /// Offers an accepted event to its listeners, in flow order.
    public func dispatch(_ event: InputEvent) {
        guard let route = index.route(of: event.type) else { return }
        dispatch(event, route: route, admitted: route.admitted(DecodedEventFields(event: event.value)))
    }

    /// Offers an event to the listeners of `route` its guards admitted (numbers in flow order).
    private func dispatch(_ event: InputEvent, route: DispatchRoute, admitted: [Int]) {
        guard !admitted.isEmpty else { return }
        let now = clock == .event ? event.time : Timestamps.celNow()
        for number in admitted {
            let position = route.listeners[number].position
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
        lineCounts.notStarted.add(1, ordering: .relaxed)
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
            lineCounts.droppedSingle.add(1, ordering: .relaxed)
        }
    }

    /// Deterministic: the same flow and event always get the same id.
    static func runID(flow: String, event: InputEvent) -> String {
        InMemoryEventWindow.hexHash(source: flow + "\u{0}" + event.source, id: event.id)
    }

    /// Blocks until fewer than `maxPendingRuns` runs are pending (call from a plain thread).
    public func waitForRoom() {
        tracker.wait(atMost: maxPendingRuns)
    }

    /// Waits for every started run, flushes the outputs and returns the counts.
    public func finish() async -> RunCounts {
        while tracker.count > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        services.outputs.flush()
        return currentCounts
    }

    /// `finish` for a plain (non-async) thread.
    public func finishBlocking() -> RunCounts {
        tracker.wait(atMost: 0)
        services.outputs.flush()
        return currentCounts
    }
}
