import CEL
import Diagnostics
import Foundation
import Graph
@testable import Runtime

let testSpan = GraphSpan(file: "test.yaml", line: 1, column: 1, endLine: 1, endColumn: 2)

func expr(_ source: String, _ type: String = "dyn") -> GraphExpression {
    GraphExpression(source: source, type: type, span: testSpan)
}

func exprValue(_ source: String) -> GraphValue { .expression(expr(source)) }

/// `"text ${{ a }} more"` as a template value.
func template(_ parts: [Any]) -> GraphValue {
    .template(parts.map { part in
        if let text = part as? String { return .text(text) }
        if let expression = part as? GraphExpression { return .expression(expression) }
        return .text("\(part)")
    })
}

func object(_ entries: [(String, GraphValue)]) -> GraphValue {
    .map(entries.map { GraphMapEntry(key: $0.0, value: $0.1) })
}

/// An action; `runAfter` becomes explicit edges in `scope(...)`.
struct TestAction {
    var action: GraphAction
    var runAfter: [String: [String]]?
}

func act(_ id: String, _ type: String, _ inputs: [(String, GraphValue)] = [], if condition: String? = nil, runAfter: [String: [String]]? = nil, scopes: [GraphScope] = [], retry: GraphRetry = .once, timeoutMilliseconds: Int64? = nil) -> TestAction {
    let isControl = ["if", "switch", "foreach", "parallel", "scope", "terminate"].contains(type)
    let action = GraphAction(
        path: id, id: id, type: type, isControl: isControl, condition: condition.map { expr($0, "bool") },
        inputs: inputs.map { GraphInput(name: $0.0, value: $0.1) }, scopes: scopes, retry: retry,
        timeoutMilliseconds: timeoutMilliseconds, span: testSpan
    )
    return TestAction(action: action, runAfter: runAfter)
}

/// A scope with the implicit "previous succeeded" edges, replaced by `runAfter` where given.
func scope(_ path: String, label: String? = nil, _ actions: [TestAction]) -> GraphScope {
    var edges: [GraphEdge] = []
    for (index, item) in actions.enumerated() {
        if let runAfter = item.runAfter {
            for (from, statuses) in runAfter.sorted(by: { $0.key < $1.key }) {
                edges.append(GraphEdge(from: from, to: item.action.path, on: statuses, implicit: false))
            }
        } else if index > 0 {
            edges.append(GraphEdge(from: actions[index - 1].action.path, to: item.action.path, on: ["succeeded"], implicit: true))
        }
    }
    return GraphScope(path: path, label: label, actions: actions.map(\.action), edges: edges)
}

func matchFlow(_ name: String, types: [String] = ["segment.refresh"], eventType: String? = "segment.refresh", filter: String? = nil, conditions: [String] = [], vars: [(String, String, GraphValue)] = [], concurrency: String = "queued", parameters: [GraphParameter] = [], _ actions: [TestAction]) -> GraphFlow {
    GraphFlow(
        name: name, file: "test.yaml", enabled: true, concurrency: concurrency,
        trigger: GraphTrigger(kind: .match, catalogName: "event", eventTypes: types, eventType: eventType, parameters: parameters, filter: filter.map { expr($0, "bool") }, span: testSpan),
        conditions: conditions.map { expr($0, "bool") },
        vars: vars.map { GraphVariable(name: $0.0, type: $0.1, value: $0.2) },
        actions: scope("actions", actions)
    )
}

func thresholdFlow(_ name: String, segment: String = "VIP", threshold: Double = 10000, direction: String = "up", concurrency: String = "queued", _ actions: [TestAction]) -> GraphFlow {
    GraphFlow(
        name: name, file: "test.yaml", enabled: true, concurrency: concurrency,
        trigger: GraphTrigger(
            kind: .threshold, catalogName: "segment.threshold.crossed", eventTypes: ["segment.refresh"], eventType: "segment.refresh",
            parameters: [
                GraphParameter(name: "segment", type: "string", value: .string(segment)),
                GraphParameter(name: "threshold", type: "double", value: .double(threshold)),
                GraphParameter(name: "direction", type: "string", value: .string(direction)),
            ],
            filter: expr("event.data.status == 'succeeded' && event.data.segment == trigger.segment", "bool"),
            key: expr("event.data.segment", "string"), value: expr("event.data.memberCount", "int"),
            threshold: threshold, direction: direction, span: testSpan
        ),
        conditions: [], vars: [], actions: scope("actions", actions)
    )
}


func segmentEvent(_ count: Int, segment: String = "VIP", status: String = "succeeded", id: String? = nil) -> String {
    let identifier = id ?? "e\(count)-\(segment)-\(status)"
    return #"{"specversion":"1.0","id":"\#(identifier)","source":"/test","type":"segment.refresh","time":"2026-03-06T16:00:00Z","data":{"segment":"\#(segment)","status":"\#(status)","memberCount":\#(count)}}"#
}

/// Runs flows over lines in memory and collects everything written.
struct Harness {
    var counts: RunCounts
    var emitted: [[String: Any]]
    var records: [[String: Any]]
    var logs: [String]
    var deadLetters: [String]
    var rawOutput: String

    static func run(_ flows: [GraphFlow], lines: [String], env: [String: String] = [:], secrets: [String: String] = [:], dryRun: Bool = false, clock: RunClock = .event) async throws -> Harness {
        let registry = EventTypeRegistry()
        let compiled = try flows.map { try CompiledFlow($0, registry: registry) }
        let events = MemoryLineSink(), runs = MemoryLineSink(), log = MemoryLineSink(), dead = MemoryLineSink()
        let outputs = RunOutputs(events: events, runs: runs, log: log, deadLetter: dead, redactor: Redactor(secrets: Array(secrets.values)))
        let services = RunServices(env: env, secrets: secrets, outputs: outputs, dryRun: dryRun)
        let engine = Engine(flows: compiled, services: services, registry: registry, clock: clock, inputName: "events.ndjson")
        for (offset, line) in lines.enumerated() { engine.process(line: line, number: offset + 1) }
        let counts = await engine.finish()
        func parse(_ line: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
        return Harness(
            counts: counts, emitted: events.lines.map(parse), records: runs.lines.map(parse), logs: log.lines,
            deadLetters: dead.lines, rawOutput: (events.lines + runs.lines + log.lines).joined(separator: "\n")
        )
    }

    /// `path: status` of each action of the `index`th record.
    func statuses(_ index: Int = 0) -> [String] {
        guard records.indices.contains(index), let actions = records[index]["actions"] as? [[String: Any]] else { return [] }
        return actions.map { "\($0["path"] ?? ""): \($0["status"] ?? "")" }
    }

    func status(_ index: Int = 0) -> String? {
        records.indices.contains(index) ? records[index]["status"] as? String : nil
    }
}
