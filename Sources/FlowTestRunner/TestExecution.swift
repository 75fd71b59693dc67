import Diagnostics
import Foundation
import Graph
import Runtime

/// One test's engine, fed with its events; `evaluate` compares what happened with `expect`.
final class TestExecution {
    let suite: LoadedSuite
    let test: FlowTestCase
    let engine: Engine
    let transport: CannedTransport
    let events = MemoryLineSink(), runs = MemoryLineSink(), log = MemoryLineSink()
    private var loadFailures: [Diagnostic] = []
    private var rejections: [Diagnostic] = []

    init(suite: LoadedSuite, test: FlowTestCase) {
        self.suite = suite
        self.test = test
        transport = CannedTransport(test.http)
        var flows: [CompiledFlow] = []
        for graph in suite.graphs {
            do {
                flows.append(try CompiledFlow(graph, registry: suite.registry))
            } catch {
                loadFailures.append(.error(.testFlowInvalid, "flow `\(graph.name)` cannot run: \(error.message)", at: test.span))
            }
        }
        let outputs = RunOutputs(events: events, runs: runs, log: log, redactor: Redactor(secrets: Array(suite.file.secrets.values)))
        let services = RunServices(env: suite.file.env, secrets: suite.file.secrets, outputs: outputs, http: transport)
        engine = Engine(flows: flows, services: services, registry: suite.registry, clock: .event, inputName: "event")
    }

    /// Offers one event (0-based `offset`) to the flows. The runners wait for its runs to
    /// finish before the next one, so a test sees the same runs, in the same order, every time.
    func feed(_ offset: Int) {
        let event = test.events[offset]
        let before = engine.currentCounts.rejected
        engine.process(line: event.line, number: offset + 1)
        guard engine.currentCounts.rejected > before else { return }
        // The engine names the input line; the event's position says that already.
        var reason = log.lines.last ?? "rejected"
        let prefix = "event:\(offset + 1): "
        if reason.hasPrefix(prefix) { reason.removeFirst(prefix.count) }
        rejections.append(.error(.testEventRejected, "event \(offset + 1) was rejected: \(reason)", at: event.span))
    }

    func evaluate() -> TestEvaluation {
        let records = runs.lines.compactMap(TestJSON.parse)
        let eventIndex = Dictionary(test.events.enumerated().map { ($0.element.id, $0.offset + 1) }, uniquingKeysWith: { first, _ in first })
        let flowOrder = Dictionary(suite.graphs.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let observed = ObservedRuns(records: records, eventIndex: eventIndex, flowOrder: flowOrder)
        var failures = loadFailures + rejections
        let comparison = ExpectationComparison(test: test)
        if let expected = test.expect.runs { failures += comparison.compareRuns(expected, observed.runs) }
        let emitted = observed.orderEmitted(events.lines.compactMap(TestJSON.parse))
        if let expected = test.expect.emitted { failures += comparison.compareEmitted(expected, emitted) }
        let sent = transport.requests
        if let expected = test.expect.requests { failures += comparison.compareRequests(expected, sent.map(\.request)) }
        var unmatched: [(String, String, Int)] = []
        for request in sent.map(\.request) where sent.contains(where: { !$0.matched && $0.request.url == request.url && $0.request.method == request.method }) {
            if let index = unmatched.firstIndex(where: { $0.0 == request.method && $0.1 == request.url }) {
                unmatched[index].2 += 1
            } else {
                unmatched.append((request.method, request.url, 1))
            }
        }
        for (method, url, count) in unmatched {
            failures.append(
                Diagnostic.error(.testUnmatchedRequest, "no canned response for `\(method) \(url)`", at: test.span, label: count == 1 ? "in this test" : "\(count) requests in this test")
                    .with(note: "add an entry to `http`, e.g. { method: \(method), url: \"\(url)\", status: 200 }")
            )
        }
        return TestEvaluation(failures: failures, records: records)
    }
}

struct TestEvaluation {
    var failures: [Diagnostic]
    var records: [JSONValue]
}

/// Run records in a deterministic order: by event, then by flow order (flows run concurrently).
struct ObservedRuns {
    struct Run {
        var flow: String
        var event: Int
        var status: String
        var actions: [(path: String, status: String)]
        var runID: String
    }

    var runs: [Run]

    init(records: [JSONValue], eventIndex: [String: Int], flowOrder: [String: Int]) {
        let unsorted = records.map { record -> Run in
            let eventID = TestJSON.string(TestJSON.field(record, "event").flatMap { TestJSON.field($0, "id") }) ?? ""
            var actions: [(String, String)] = []
            if case .array(let items)? = TestJSON.field(record, "actions") {
                actions = items.map { (TestJSON.string(TestJSON.field($0, "path")) ?? "", TestJSON.string(TestJSON.field($0, "status")) ?? "") }
            }
            return Run(
                flow: TestJSON.string(TestJSON.field(record, "flow")) ?? "", event: eventIndex[eventID] ?? 0,
                status: TestJSON.string(TestJSON.field(record, "status")) ?? "", actions: actions,
                runID: TestJSON.string(TestJSON.field(record, "run")) ?? ""
            )
        }
        runs = unsorted.enumerated().sorted { lhs, rhs in
            let left = (lhs.element.event, flowOrder[lhs.element.flow] ?? 0, lhs.offset)
            let right = (rhs.element.event, flowOrder[rhs.element.flow] ?? 0, rhs.offset)
            return left < right
        }.map(\.element)
    }

    /// Emitted events in the order of their runs; within a run, as written.
    func orderEmitted(_ emitted: [JSONValue]) -> [JSONValue] {
        let position = Dictionary(runs.enumerated().map { ($0.element.runID, $0.offset) }, uniquingKeysWith: { first, _ in first })
        return emitted.enumerated().sorted { lhs, rhs in
            let left = (position[TestJSON.string(TestJSON.field(lhs.element, "flowcrunid")) ?? ""] ?? Int.max, lhs.offset)
            let right = (position[TestJSON.string(TestJSON.field(rhs.element, "flowcrunid")) ?? ""] ?? Int.max, rhs.offset)
            return left < right
        }.map(\.element)
    }
}
