import CEL
import Diagnostics
import Foundation
import Graph

/// Action and run statuses (SPEC 3).
public enum ActionStatus: String, Sendable {
    case succeeded, failed, skipped
    case timedOut = "timed_out"
}

/// What every run of a process shares: environment, secrets, outputs, the HTTP transport.
public struct RunServices: Sendable {
    public var env: CELValue
    public var secrets: CELValue
    public var outputs: RunOutputs
    public var http: any HTTPTransport
    public var dryRun: Bool

    public init(env: [String: String], secrets: [String: String], outputs: RunOutputs, http: any HTTPTransport = URLSessionTransport(), dryRun: Bool = false) {
        self.env = RuntimeValues.map(env.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        self.secrets = RuntimeValues.map(secrets.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        self.outputs = outputs
        self.http = http
        self.dryRun = dryRun
    }
}

/// An action's error: `actions.ID.error` and the record's `error`.
struct ActionError: Error, Sendable {
    var code: String
    var message: String
}

/// One entry of a run record; `order` sorts entries in written order.
struct ActionRecord: Sendable {
    var order: [Int]
    var path: String
    var status: ActionStatus
    var attempts: Int
    var startedAt: Date
    var finishedAt: Date
    var error: ActionError?
    var dryRun: Bool
}

/// A finished run, as `--runs` writes it (SPEC 8.3).
public struct RunRecord: Sendable {
    public var run: String
    public var flow: String
    public var event: InputEvent
    /// `succeeded`, `failed` or `cancelled`.
    public var status: String
    public var message: String?
    public var startedAt: Date
    public var finishedAt: Date
    var actions: [ActionRecord]

    /// Paths and statuses in written order, for tests and summaries.
    public var actionStatuses: [(path: String, status: String)] { actions.map { ($0.path, $0.status.rawValue) } }

    public var json: JSONValue {
        .object([
            ("run", .string(run)),
            ("flow", .string(flow)),
            ("event", .object([("source", .string(event.source)), ("id", .string(event.id)), ("type", .string(event.type))])),
            ("status", .string(status)),
        ] + (message.map { [("message", JSONValue.string($0))] } ?? []) + [
            ("startedAt", .string(Timestamps.text(startedAt))),
            ("finishedAt", .string(Timestamps.text(finishedAt))),
            ("actions", .array(actions.map { action in
                var fields: [(String, JSONValue)] = [
                    ("path", .string(action.path)),
                    ("status", .string(action.status.rawValue)),
                    ("attempts", .int(action.attempts)),
                    ("startedAt", .string(Timestamps.text(action.startedAt))),
                    ("finishedAt", .string(Timestamps.text(action.finishedAt))),
                ]
                if let error = action.error {
                    fields.append(("error", .object([("code", .string(error.code)), ("message", .string(error.message))])))
                }
                if action.dryRun { fields.append(("dry_run", .bool(true))) }
                return JSONValue.object(fields)
            })),
        ])
    }
}

enum Timestamps {
    static func text(_ date: Date) -> String {
        let nanos = Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1_000_000
        let seconds = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        return CELTimestamp(seconds: seconds.quotient, nanos: Int32(seconds.remainder))?.rfc3339 ?? "\(date)"
    }

    static func celNow() -> CELTimestamp {
        let interval = Date().timeIntervalSince1970
        let seconds = interval.rounded(.down)
        return CELTimestamp(seconds: Int64(seconds), nanos: Int32((interval - seconds) * 1e9)) ?? CELTimestamp(seconds: 0)!
    }
}

/// Mutable state of one run, shared by its concurrent branches.
final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var varNames: [String]
    private var varValues: [String: CELValue] = [:]
    private var varsValue: CELValue?
    private var records: [ActionRecord] = []
    private var emitted: [(order: [Int], line: String)] = []
    private var termination: (status: String, message: String?)?

    init(varNames: [String]) {
        self.varNames = varNames
    }

    func setVar(_ name: String, _ value: CELValue) {
        lock.lock()
        if varValues[name] == nil, !varNames.contains(name) { varNames.append(name) }
        varValues[name] = value
        varsValue = nil
        lock.unlock()
    }

    var vars: CELValue {
        lock.lock()
        defer { lock.unlock() }
        if let varsValue { return varsValue }
        let value = RuntimeValues.map(varNames.compactMap { name in varValues[name].map { (name, $0) } })
        varsValue = value
        return value
    }

    func add(_ record: ActionRecord) {
        lock.lock()
        records.append(record)
        lock.unlock()
    }

    func addEmitted(_ line: String, order: [Int]) {
        lock.lock()
        emitted.append((order, line))
        lock.unlock()
    }

    func terminate(status: String, message: String?) {
        lock.lock()
        if termination == nil { termination = (status, message) }
        lock.unlock()
    }

    var terminated: (status: String, message: String?)? {
        lock.lock()
        defer { lock.unlock() }
        return termination
    }

    /// Records and emitted lines in written order (stable for equal keys).
    func finish() -> ([ActionRecord], [String]) {
        lock.lock()
        defer { lock.unlock() }
        let sortedRecords = records.enumerated().sorted { Self.precedes(($0.element.order, $0.offset), ($1.element.order, $1.offset)) }.map(\.element)
        let lines = emitted.enumerated().sorted { Self.precedes(($0.element.order, $0.offset), ($1.element.order, $1.offset)) }.map(\.element.line)
        return (sortedRecords, lines)
    }

    private static func precedes(_ a: ([Int], Int), _ b: ([Int], Int)) -> Bool {
        if a.0 == b.0 { return a.1 < b.1 }
        return a.0.lexicographicallyPrecedes(b.0)
    }
}

/// The `actions.ID` values visible at one place, plus loop bindings: one frame per scope
/// instance (each foreach iteration and parallel branch has its own).
final class Frame: @unchecked Sendable {
    let parent: Frame?
    private let lock = NSLock()
    private var results: [(String, CELValue)] = []
    let loop: (slot: Int, value: CELValue)?
    /// Foreach indices on the way here: appended to emitted ids and record paths.
    let iterations: [Int]
    let order: [Int]

    init(parent: Frame?, loop: (slot: Int, value: CELValue)? = nil, iterations: [Int], order: [Int]) {
        self.parent = parent
        self.loop = loop
        self.iterations = iterations
        self.order = order
    }

    private var cached: CELValue?

    func setResult(_ id: String, _ value: CELValue) {
        lock.lock()
        results.append((id, value))
        cached = nil
        lock.unlock()
    }

    /// All results visible here; inner ones win. Cached until this frame gets a new result
    /// (a parent does not change while a nested scope runs: it waits for the control action).
    func actionsValue() -> CELValue {
        lock.lock()
        if let cached {
            lock.unlock()
            return cached
        }
        let own = results
        lock.unlock()
        var entries: [(String, CELValue)] = []
        if let parent, case .map(let inherited) = parent.actionsValue() {
            for entry in inherited.entries {
                if case .string(let key) = entry.key { entries.append((key, entry.value)) }
            }
        }
        entries += own
        let value = RuntimeValues.map(entries)
        lock.lock()
        if results.count == own.count { cached = value }
        lock.unlock()
        return value
    }

    func bindLoops(_ activation: CELActivation) {
        var current: Frame? = self
        var bound: Set<Int> = []
        while let frame = current {
            if let loop = frame.loop, bound.insert(loop.slot).inserted { activation[loop.slot] = loop.value }
            current = frame.parent
        }
    }
}

/// Executes one run of a flow (SPEC 3, 8.3).
struct RunExecutor: Sendable {
    let flow: CompiledFlow
    let event: InputEvent
    let runID: String
    let trigger: CELValue
    let now: CELTimestamp
    let services: RunServices
    let state: RunState

    init(flow: CompiledFlow, event: InputEvent, runID: String, trigger: CELValue, now: CELTimestamp, services: RunServices) {
        self.flow = flow
        self.event = event
        self.runID = runID
        self.trigger = trigger
        self.now = now
        self.services = services
        self.state = RunState(varNames: flow.vars.map(\.0))
    }

    /// Runs vars and actions; writes emitted events, then returns the record.
    func run() async -> RunRecord {
        let startedAt = Date()
        let root = Frame(parent: nil, iterations: [], order: [])
        var status = "succeeded"
        var message: String?
        var varsFailed = false
        for (name, value) in flow.vars {
            switch evaluate(value, in: root) {
            case .success(let result): state.setVar(name, result)
            case .failure(let error):
                status = "failed"
                message = "var `\(name)`: \(error.message)"
                varsFailed = true
            }
            if varsFailed { break }
        }
        if !varsFailed {
            let unhandled = await runScope(flow.actions, frame: root)
            if let termination = state.terminated {
                status = termination.status
                message = termination.message
            } else if unhandled {
                status = "failed"
            }
        }
        let (records, lines) = state.finish()
        for line in lines { services.outputs.emit(line) }
        return RunRecord(run: runID, flow: flow.name, event: event, status: status, message: message, startedAt: startedAt, finishedAt: Date(), actions: records)
    }

    // MARK: Evaluation

    func activation(_ frame: Frame) -> CELActivation {
        let activation = CELActivation(environment: flow.environment)
        let slots = flow.slots
        activation[slots.event] = event.value
        activation[slots.trigger] = trigger
        activation[slots.vars] = state.vars
        activation[slots.actions] = frame.actionsValue()
        activation[slots.env] = services.env
        activation[slots.secrets] = services.secrets
        activation[slots.now] = .timestamp(now)
        activation[slots.flow] = flow.flowValue
        frame.bindLoops(activation)
        return activation
    }

    func evaluate(_ value: CompiledValue, in frame: Frame) -> Result<CELValue, CELEvaluationError> {
        let activation = activation(frame)
        return evaluate(value, activation)
    }

    private func evaluate(_ value: CompiledValue, _ activation: CELActivation) -> Result<CELValue, CELEvaluationError> {
        switch value {
        case .literal(let literal): return .success(literal)
        case .expression(let program, _):
            let result = program.evaluate(activation)
            if case .error(let error) = result { return .failure(error) }
            return .success(result)
        case .template(let segments):
            var text = ""
            for segment in segments {
                switch segment {
                case .text(let literal): text += literal
                case .expression(let program, _):
                    switch RuntimeValues.templateText(program.evaluate(activation)) {
                    case .success(let part): text += part
                    case .failure(let error): return .failure(error)
                    }
                }
            }
            return .success(.string(text))
        case .list(let items):
            var values: [CELValue] = []
            for item in items {
                switch evaluate(item, activation) {
                case .success(let element): values.append(element)
                case .failure(let error): return .failure(error)
                }
            }
            return .success(.list(values))
        case .map(let entries):
            var values: [(String, CELValue)] = []
            for (key, item) in entries {
                switch evaluate(item, activation) {
                case .success(let element): values.append((key, element))
                case .failure(let error): return .failure(error)
                }
            }
            return .success(RuntimeValues.map(values))
        }
    }

    func evaluateBool(_ program: CELProgram, in frame: Frame) -> Result<Bool, CELEvaluationError> {
        switch program.evaluate(activation(frame)) {
        case .bool(let flag): return .success(flag)
        case .error(let error): return .failure(error)
        case let other: return .failure(CELEvaluationError("expected bool, got \(other.celType.runtimeName)"))
        }
    }

    // MARK: Scopes

    /// Runs a scope's actions in written order as their edges allow; true when a failure
    /// inside was not handled by a `run_after` that ran.
    func runScope(_ scope: CompiledScope, frame: Frame) async -> Bool {
        let count = scope.actions.count
        var statuses: [ActionStatus?] = Array(repeating: nil, count: count)
        var handled = Array(repeating: false, count: count)
        var remaining = Array(0..<count)
        while !remaining.isEmpty {
            let ready = remaining.firstIndex { index in scope.incoming[index].allSatisfy { statuses[$0.from] != nil } }
            let position = ready ?? 0
            let index = remaining.remove(at: position)
            let action = scope.actions[index]
            let incoming = scope.incoming[index]
            var status: ActionStatus
            if state.terminated != nil || ready == nil {
                status = .skipped
                record(action, frame: frame, status: .skipped, attempts: 0, started: Date(), error: nil)
            } else if incoming.contains(where: { edge in statuses[edge.from].map { !edge.on.contains($0.rawValue) } ?? true }) {
                status = .skipped
                record(action, frame: frame, status: .skipped, attempts: 0, started: Date(), error: nil)
                publish(action, frame: frame, status: .skipped, attempts: 0, output: nil, error: nil)
            } else {
                status = await runAction(action, frame: frame)
                if status != .skipped {
                    for edge in incoming where !edge.implicit {
                        if let source = statuses[edge.from], source == .failed || source == .timedOut, edge.on.contains(source.rawValue) {
                            handled[edge.from] = true
                        }
                    }
                }
            }
            statuses[index] = status
        }
        return (0..<count).contains { (statuses[$0] == .failed || statuses[$0] == .timedOut) && !handled[$0] }
    }

    private func path(_ action: CompiledAction, _ frame: Frame) -> String {
        ([action.graph.path] + frame.iterations.map(String.init)).joined(separator: "/")
    }

    private func record(_ action: CompiledAction, frame: Frame, status: ActionStatus, attempts: Int, started: Date, error: ActionError?, dryRun: Bool = false) {
        state.add(ActionRecord(order: frame.order + [action.index], path: path(action, frame), status: status, attempts: attempts, startedAt: started, finishedAt: Date(), error: error, dryRun: dryRun))
    }

    /// Makes `actions.ID` visible to later expressions.
    private func publish(_ action: CompiledAction, frame: Frame, status: ActionStatus, attempts: Int, output: CELValue?, error: ActionError?) {
        guard let id = action.graph.id else { return }
        var entries: [(String, CELValue)] = [("status", .string(status.rawValue)), ("attempts", .int(Int64(attempts)))]
        if let output { entries.append(("output", output)) }
        if let error { entries.append(("error", RuntimeValues.map([("code", .string(error.code)), ("message", .string(error.message))]))) }
        frame.setResult(id, RuntimeValues.map(entries))
    }

    /// The outcome of one action's execution.
    struct Outcome: Sendable {
        var status: ActionStatus
        var attempts = 1
        var output: CELValue?
        var error: ActionError?
        var dryRun = false
    }

    private func runAction(_ action: CompiledAction, frame: Frame) async -> ActionStatus {
        let started = Date()
        var outcome: Outcome
        if let condition = action.condition {
            switch evaluateBool(condition, in: frame) {
            case .success(true): outcome = await execute(action, frame: frame)
            case .success(false): outcome = Outcome(status: .skipped, attempts: 0)
            case .failure(let error): outcome = Outcome(status: .failed, error: ActionError(code: "expression", message: "`if`: \(error.message)"))
            }
        } else {
            outcome = await execute(action, frame: frame)
        }
        record(action, frame: frame, status: outcome.status, attempts: outcome.attempts, started: started, error: outcome.error, dryRun: outcome.dryRun)
        publish(action, frame: frame, status: outcome.status, attempts: outcome.attempts, output: outcome.output, error: outcome.error)
        return outcome.status
    }

    private func execute(_ action: CompiledAction, frame: Frame) async -> Outcome {
        if action.graph.isControl { return await control(action, frame: frame) }
        var inputs: [String: CELValue] = [:]
        // One activation for all inputs: nothing they read changes between them.
        let activation = activation(frame)
        for (name, value) in action.inputs {
            switch evaluate(value, activation) {
            case .success(let result): inputs[name] = result
            case .failure(let error): return Outcome(status: .failed, error: ActionError(code: "expression", message: "`\(name)`: \(error.message)"))
            }
        }
        switch action.graph.type {
        case "emit": return emit(action, inputs: inputs, frame: frame)
        case "log":
            let level = inputs["level"].flatMap(Self.string) ?? "info"
            let message = inputs["message"].flatMap(Self.string) ?? ""
            services.outputs.logLine("\(now.rfc3339) \(level) \(flow.name) \(runID): \(message)")
            return Outcome(status: .succeeded)
        case "set":
            guard let name = inputs["var"].flatMap(Self.string), let value = inputs["value"] else {
                return Outcome(status: .failed, error: ActionError(code: "set", message: "`set` needs `var` and `value`"))
            }
            state.setVar(name, value)
            return Outcome(status: .succeeded)
        case "fail":
            let message = inputs["message"].flatMap(Self.string) ?? "failed"
            let code = inputs["code"].flatMap(Self.string) ?? "fail"
            return Outcome(status: .failed, error: ActionError(code: code, message: message))
        case "http":
            return await HTTPAction(executor: self, action: action, frame: frame, inputs: inputs).run()
        default:
            return Outcome(status: .failed, error: ActionError(code: "action.unknown", message: "unknown action type `\(action.graph.type)`"))
        }
    }

    static func string(_ value: CELValue) -> String? {
        if case .string(let text) = value { return text }
        return nil
    }

    private func emit(_ action: CompiledAction, inputs: [String: CELValue], frame: Frame) -> Outcome {
        guard let type = inputs["type"].flatMap(Self.string) else {
            return Outcome(status: .failed, error: ActionError(code: "emit", message: "`type` must be a string"))
        }
        let id = idempotencyKey(action, frame: frame)
        var fields: [(String, JSONValue)] = [
            ("specversion", .string("1.0")),
            ("id", .string(id)),
            ("source", .string("flowc/\(flow.name)")),
            ("type", .string(type)),
            ("time", .string(now.rfc3339)),
        ]
        if let subject = inputs["subject"].flatMap(Self.string) { fields.append(("subject", .string(subject))) }
        fields.append(("flowcrunid", .string(runID)))
        fields.append(("data", RuntimeValues.json(inputs["data"] ?? .null)))
        state.addEmitted(JSONValue.object(fields).serialized(), order: frame.order + [action.index])
        return Outcome(status: .succeeded, output: RuntimeValues.map([("id", .string(id))]))
    }

    /// `<flow>/<source>/<id>/<action path>[/<foreach index>...]`: emitted ids and `Idempotency-Key`.
    func idempotencyKey(_ action: CompiledAction, frame: Frame) -> String {
        "\(flow.name)/\(event.source)/\(event.id)/\(path(action, frame))"
    }

    // MARK: Control actions

    private func control(_ action: CompiledAction, frame: Frame) async -> Outcome {
        let order = frame.order + [action.index]
        func child(_ scopeIndex: Int, loop: (slot: Int, value: CELValue)? = nil, iteration: Int? = nil) -> Frame {
            Frame(parent: frame, loop: loop, iterations: frame.iterations + (iteration.map { [$0] } ?? []), order: order + [scopeIndex] + (iteration.map { [$0] } ?? []))
        }
        func scope(named key: String) -> (Int, CompiledScope)? {
            action.scopes.enumerated().first { $0.element.path.hasSuffix("/" + key) }.map { ($0.offset, $0.element) }
        }
        func finished(_ unhandled: Bool) -> Outcome {
            unhandled ? Outcome(status: .failed, error: ActionError(code: "scope", message: "an action inside `\(action.graph.path)` failed")) : Outcome(status: .succeeded)
        }
        func value(_ key: String) -> Result<CELValue, CELEvaluationError>? {
            action.input(key).map { evaluate($0, in: frame) }
        }
        func failedInput(_ key: String, _ error: CELEvaluationError) -> Outcome {
            Outcome(status: .failed, error: ActionError(code: "expression", message: "`\(key)`: \(error.message)"))
        }

        switch action.graph.type {
        case "if":
            var holds = false
            switch value("condition") {
            case .success(.bool(let flag))?: holds = flag
            case .failure(let error)?: return failedInput("condition", error)
            default: return Outcome(status: .failed, error: ActionError(code: "expression", message: "`condition` must be a bool"))
            }
            guard let (index, chosen) = scope(named: holds ? "then" : "else") else { return Outcome(status: .succeeded) }
            return finished(await runScope(chosen, frame: child(index)))
        case "switch":
            var label: String
            switch value("on") {
            case .success(let on)?:
                switch RuntimeValues.templateText(on) {
                case .success(let text): label = text
                case .failure(let error): return failedInput("on", error)
                }
            case .failure(let error)?: return failedInput("on", error)
            case nil: return Outcome(status: .failed, error: ActionError(code: "expression", message: "`switch` needs `on`"))
            }
            let match = action.scopes.enumerated().first { $0.element.label == label && !$0.element.path.hasSuffix("/default") }
                .map { ($0.offset, $0.element) } ?? scope(named: "default")
            guard let (index, chosen) = match else { return Outcome(status: .succeeded) }
            return finished(await runScope(chosen, frame: child(index)))
        case "foreach":
            let items: [CELValue]
            switch value("items") {
            case .success(.list(let list))?: items = list
            case .failure(let error)?: return failedInput("items", error)
            default: return Outcome(status: .failed, error: ActionError(code: "expression", message: "`items` must be a list"))
            }
            var name = "item"
            if case .success(.string(let given))? = value("as") { name = given }
            var width = 1
            if case .success(.int(let given))? = value("concurrency") { width = Int(clamping: max(1, given)) }
            guard let (index, body) = scope(named: "do"), let slot = flow.slots.loops[name] else { return Outcome(status: .succeeded) }
            let frames = items.enumerated().map { child(index, loop: (slot, $0.element), iteration: $0.offset) }
            return finished(await runConcurrently(frames.map { (body, $0) }, width: width))
        case "parallel":
            let branches = action.scopes.enumerated().map { ($0.element, child($0.offset)) }
            return finished(await runConcurrently(branches, width: max(1, branches.count)))
        case "scope":
            guard let (index, body) = scope(named: "do") else { return Outcome(status: .succeeded) }
            return finished(await runScope(body, frame: child(index)))
        case "terminate":
            var status = "succeeded"
            if case .success(.string(let given))? = value("status") { status = given }
            var message: String?
            if case .success(let given)? = value("message"), case .success(let text) = RuntimeValues.templateText(given) { message = text }
            state.terminate(status: status, message: message)
            return Outcome(status: .succeeded)
        default:
            return Outcome(status: .failed, error: ActionError(code: "action.unknown", message: "unknown control action `\(action.graph.type)`"))
        }
    }

    /// Runs scope instances with at most `width` at a time; true when any had an unhandled failure.
    private func runConcurrently(_ work: [(CompiledScope, Frame)], width: Int) async -> Bool {
        if width <= 1 {
            var unhandled = false
            for (scope, frame) in work {
                if await runScope(scope, frame: frame) { unhandled = true }
            }
            return unhandled
        }
        return await withTaskGroup(of: Bool.self) { group in
            var unhandled = false
            var next = 0
            while next < work.count && next < width {
                let (scope, frame) = work[next]
                group.addTask { await runScope(scope, frame: frame) }
                next += 1
            }
            while let result = await group.next() {
                if result { unhandled = true }
                if next < work.count {
                    let (scope, frame) = work[next]
                    group.addTask { await runScope(scope, frame: frame) }
                    next += 1
                }
            }
            return unhandled
        }
    }
}
