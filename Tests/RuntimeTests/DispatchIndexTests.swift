import CEL
import Catalog
import Diagnostics
import Flows
import Foundation
import Graph
import Testing
import YAML
@testable import Runtime

private let note = act("note", "log", [("message", .string("hi"))])

private func guards(_ filter: String, _ parameters: [(String, CELValue)] = []) -> [String] {
    FilterGuards.derive(filter: filter, parameters: parameters).map { found in
        func text(_ values: [[UInt8]]) -> String { values.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "|") }
        switch found.test {
        case .oneOf(let values): return "\(found.fieldName) in \(text(values))"
        case .glob(let patterns): return "\(found.fieldName) like \(text(patterns))"
        }
    }
}

private func datasourceFlow(_ name: String, status: String = "failed", patterns: [String], conditions: [String] = []) -> GraphFlow {
    matchFlow(
        name, types: ["datasource.refresh"], eventType: "datasource.refresh",
        filter: "event.data.status == '\(status)' && trigger.datasource.exists(p, globMatch(event.data.datasource, p))",
        conditions: conditions,
        parameters: [GraphParameter(name: "datasource", type: "list(string)", value: .list(patterns.map { .string($0) }))],
        [note])
}

private func datasourceEvent(_ name: String, status: String = "failed", id: String) -> String {
    #"{"specversion":"1.0","id":"\#(id)","source":"/test","type":"datasource.refresh","time":"2026-03-06T16:00:00Z","data":{"datasource":"\#(name)","status":"\#(status)"}}"#
}

private func flowNames(_ result: Harness) -> [String] {
    result.records.compactMap { $0["flow"] as? String }.sorted()
}

@Suite struct FilterGuardTests {
    @Test func catalogFiltersGiveGuards() {
        let failed = "event.data.status == 'failed' && trigger.datasource.exists(p, globMatch(event.data.datasource, p))"
        #expect(guards(failed, [("datasource", .list([.string("Sales*"), .string("CRM")]))]) == ["status in failed", "datasource like Sales*|CRM"])
        // Patterns without `*` only match themselves: an equality, which is indexed.
        #expect(guards(failed, [("datasource", .list([.string("CRM")]))]) == ["status in failed", "datasource in CRM"])
        #expect(guards("event.data.status == 'succeeded' && event.data.segment == trigger.segment", [("segment", .string("VIP"))])
            == ["status in succeeded", "segment in VIP"])
    }

    @Test func triggerParametersFoldAndSameFieldGuardsIntersect() {
        let completed = "event.data.status in ['succeeded', 'failed', 'cancelled'] && (trigger.status == 'any' || event.data.status == trigger.status)"
        #expect(guards(completed, [("status", .string("any"))]) == ["status in succeeded|failed|cancelled"])
        #expect(guards(completed, [("status", .string("failed"))]) == ["status in failed"])
        let submission = "trigger.submission == 'any' || (has(event.data.submission) && event.data.submission == trigger.submission)"
        #expect(guards(submission, [("submission", .string("manual"))]) == ["submission in manual"])
        #expect(guards(submission, [("submission", .string("any"))]).isEmpty)
    }

    @Test func shapesThatDoNotImplyAFieldValueGiveNoGuard() {
        #expect(guards("event.data.status == 'failed' || event.data.segment == 'x'").isEmpty)
        #expect(guards("!(event.data.status == 'failed')").isEmpty)
        #expect(guards("event.data.status != 'failed'").isEmpty)
        #expect(guards("event.data.count == 3").isEmpty)
        #expect(guards("['a'].exists(event, event == 'a')").isEmpty)
        #expect(guards("trigger.names.exists(p, globMatch(event.data.name, p))").isEmpty, "unknown parameter")
        #expect(guards("event.data.status == 'a' &&").isEmpty, "does not parse")
        #expect(guards("[1, 'a'].exists(p, event.data.name == p)").isEmpty)
    }
}

@Suite struct DispatchIndexTests {
    @Test func manyWatchedKeysOnlyReachTheirFlows() async throws {
        let flows = (0..<20).map { thresholdFlow("f\($0)", segment: "S\($0)", [note]) }
        let result = try await Harness.run(flows, lines: [segmentEvent(1, segment: "S7"), segmentEvent(20000, segment: "S7"), segmentEvent(5, segment: "other")])
        #expect(result.records.map { $0["flow"] as? String } == ["f7"])
        #expect(result.counts.droppedByType == 0)
    }

    @Test func eventsReachExactlyTheFlowsWhoseFiltersHold() async throws {
        let flows = [
            datasourceFlow("sales", patterns: ["Sales*"]),
            datasourceFlow("crm", patterns: ["CRM"]),
            datasourceFlow("both", patterns: ["Sales EU", "CRM*"]),
            datasourceFlow("succeeded", status: "succeeded", patterns: ["*"]),
            datasourceFlow("unicode", patterns: ["Ventes é*"]),
        ]
        let lines = [
            datasourceEvent("Sales US", id: "1"),
            datasourceEvent("CRM", id: "2"),
            datasourceEvent("CRM Contacts", id: "3"),
            datasourceEvent("Sales EU", status: "succeeded", id: "4"),
            datasourceEvent("Ventes été", id: "5"),
            datasourceEvent("Other", id: "6"),
        ]
        let result = try await Harness.run(flows, lines: lines)
        #expect(flowNames(result) == ["both", "both", "crm", "sales", "succeeded", "unicode"])
        #expect(result.counts.eventsRead == 6)
        #expect(result.counts.notStarted == 0)
    }

    @Test func admittedListenersAreInFlowOrder() throws {
        let registry = EventTypeRegistry()
        let flows = try [
            datasourceFlow("a", patterns: ["CRM"]),
            datasourceFlow("b", patterns: ["Sales*", "CRM"]),
            datasourceFlow("c", status: "failed", patterns: ["CRM", "X"]),
            matchFlow("d", types: ["datasource.refresh"], eventType: "datasource.refresh", [note]),
        ].map { try CompiledFlow($0, registry: registry) }
        let index = DispatchIndex(flows: flows, registry: registry)
        let route = try #require(index.route(of: "datasource.refresh"))
        let event = CELValue.map(CELMap(strings: [("data", RuntimeValues.map([("datasource", .string("CRM")), ("status", .string("failed"))]))]))
        #expect(route.admitted(DecodedEventFields(event: event)).map { route.listeners[$0].position } == [0, 1, 2, 3])
        let other = CELValue.map(CELMap(strings: [("data", RuntimeValues.map([("datasource", .string("X")), ("status", .string("ok"))]))]))
        #expect(route.admitted(DecodedEventFields(event: other)).map { route.listeners[$0].position } == [3])
        #expect(index.route(of: "segment.refresh") == nil)
    }

    /// A guard never hides an evaluation error: an absent optional field reaches the filter.
    @Test func absentFieldsStillReachTheFilter() async throws {
        let flow = matchFlow("manual", types: ["system.refresh"], eventType: "system.refresh", filter: "event.data.submission == 'manual'", [note])
        let line = #"{"specversion":"1.0","id":"1","source":"/s","type":"system.refresh","time":"2026-03-06T16:00:00Z","data":{"status":"succeeded","scope":[],"results":[]}}"#
        let other = #"{"specversion":"1.0","id":"2","source":"/s","type":"system.refresh","time":"2026-03-06T16:00:00Z","data":{"status":"succeeded","scope":[],"results":[],"submission":"scheduled"}}"#
        let result = try await Harness.run([flow], lines: [line, other])
        #expect(result.counts.notStarted == 1)
        #expect(result.counts.runsStarted == 0)
    }

    @Test func untypedEventsAreGuardedToo() async throws {
        let flow = matchFlow("email", types: ["crm.consent.*"], eventType: nil, filter: "event.data.channel == 'email'", [note])
        func line(_ id: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"/crm","type":"crm.consent.granted","time":"2026-03-06T16:00:00Z","data":\#(data)}"#
        }
        let result = try await Harness.run([flow], lines: [
            line("1", #"{"channel":"email","n":[1,{"a":null}]}"#),
            line("2", #"{"channel":"sms"}"#),
            line("3", #"{"other":true}"#),
            line("4", #"{"channel":"em\u0061il"}"#),
        ])
        #expect(result.records.count == 2)
        #expect(result.counts.notStarted == 1, "no `channel`: the filter's error is reported")
    }

    /// Lines whose strings the fast path does not decode (escapes) are routed the same way.
    @Test func escapedValuesAreRoutedByTheirDecodedText() async throws {
        let flows = [thresholdFlow("vip", segment: "VIP", threshold: 10, [note]), thresholdFlow("other", segment: "Other", threshold: 10, [note])]
        let escaped = segmentEvent(1, segment: #"V\u0049P"#, id: "a")
        let result = try await Harness.run(flows, lines: [escaped, segmentEvent(20, segment: "VIP", id: "b")])
        #expect(result.records.map { $0["flow"] as? String } == ["vip"])
    }

    /// Invalid data of a listened type is rejected even when no flow would take the event,
    /// and duplicates are counted whether or not a flow takes them.
    @Test func checksDoNotDependOnGuards() async throws {
        let flow = thresholdFlow("vip", segment: "VIP", [note])
        let wrongType = #"{"specversion":"1.0","id":"x","source":"/test","type":"segment.refresh","data":{"segment":"Nobody","status":"succeeded","memberCount":"many"}}"#
        let missing = #"{"specversion":"1.0","id":"y","source":"/test","type":"segment.refresh","data":{"segment":"Nobody","status":"succeeded"}}"#
        let unwatched = segmentEvent(5, segment: "Nobody", id: "same")
        let result = try await Harness.run([flow], lines: [wrongType, missing, unwatched, unwatched])
        #expect(result.counts.rejected == 2)
        #expect(result.counts.duplicates == 1)
        #expect(result.counts.eventsRead == 4)
        #expect(result.logs.contains { $0.contains("data.memberCount") })
    }

    @Test func dataBeforeTypeDecodesTheSame() async throws {
        let flow = thresholdFlow("vip", segment: "VIP", threshold: 10, [note])
        let first = #"{"data":{"segment":"VIP","status":"succeeded","memberCount":1},"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","time":"2026-03-06T16:00:00Z"}"#
        let second = #"{"data":{"segment":"VIP","status":"succeeded","memberCount":50},"specversion":"1.0","id":"2","source":"/s","type":"segment.refresh","time":"2026-03-06T16:00:00Z"}"#
        let result = try await Harness.run([flow], lines: [first, second])
        #expect(result.records.count == 1)
    }
}

/// The guards only skip work: the example flows, and variations of them that watch other
/// names, start the same runs and count the same events with and without them.
@Suite struct GuardedDispatchEquivalenceTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func exampleFlows() throws -> [GraphFlow] {
        let folder = root.appendingPathComponent("flows")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }.sorted()
        var documents: [String] = []
        for name in names {
            // `single` drops a run while another is going: timing, not dispatch, decides that.
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "concurrency: single", with: "concurrency: queued")
            documents.append(text)
            var variation = text.replacingOccurrences(of: "\nflow: ", with: "\nflow: variation-")
            for (from, to) in [
                ("segment: VIP Customers", "segment: Churn Risk"),
                ("measure: Forecast Revenue", "measure: Average Order Value"),
                ("datasource: [\"Sales*\", CRM Contacts]", "datasource: [\"*US\", Web Analytics]"),
                ("status: any ", "status: failed "),
                ("submission: scheduled", "submission: any"),
                ("event.data.channel == \"email\"", "event.data.channel == \"sms\""),
            ] {
                variation = variation.replacingOccurrences(of: from, with: to)
            }
            documents.append(variation)
        }
        let file = SourceFile(path: "flows.yaml", bytes: Array(documents.joined(separator: "\n---\n").utf8))
        let checked = FlowChecker.check([YAMLReader.read(file)], catalog: .standard)
        #expect(checked.diagnostics.filter { $0.severity == .error }.isEmpty)
        return GraphLowering.lower(checked, compiler: "test").flows
    }

    private struct Outcome: Equatable {
        var summary: String
        var runs: [String]
        var logs: [String]
    }

    private static func run(_ flows: [GraphFlow], lines: [String], guards: Bool) async throws -> Outcome {
        let registry = EventTypeRegistry()
        let compiled = try flows.map { try CompiledFlow($0, registry: registry) }
        let runs = MemoryLineSink(), log = MemoryLineSink()
        let outputs = RunOutputs(events: MemoryLineSink(), runs: runs, log: log)
        let env = ["SALES_WEBHOOK", "OPS_WEBHOOK", "AUDIT_URL", "METRICS_URL", "FINANCE_API", "DASHBOARD_URL"].map { ($0, "http://127.0.0.1:9/") }
        let engine = Engine(flows: compiled, services: RunServices(env: Dictionary(uniqueKeysWithValues: env), secrets: [:], outputs: outputs, dryRun: true), registry: registry)
        if !guards { engine.dispatchWithoutGuards() }
        for (offset, line) in lines.enumerated() { engine.process(line: line, number: offset + 1) }
        let counts = await engine.finish()
        let records = runs.lines.map { line -> String in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            let event = object["event"] as? [String: Any] ?? [:]
            return "\(object["flow"] ?? "") \(event["id"] ?? "") \(object["status"] ?? "")"
        }
        // Log lines carry times; the flow, line and message part is compared.
        let logs = log.lines.map { $0.split(separator: " ").filter { !$0.contains("T") || !$0.contains(":") }.joined(separator: " ") }
        return Outcome(summary: counts.summary, runs: records.sorted(), logs: logs.sorted())
    }

    @Test func guardedAndUnguardedDispatchAgree() async throws {
        let flows = try Self.exampleFlows()
        var lines: [String] = []
        for file in ["flows/samples/events.ndjson", "flows/samples/invalid-events.ndjson"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
            lines += text.split(separator: "\n").map(String.init)
        }
        let guarded = try await Self.run(flows, lines: lines, guards: true)
        let unguarded = try await Self.run(flows, lines: lines, guards: false)
        #expect(guarded.runs.count > 40)
        #expect(guarded.summary == unguarded.summary)
        #expect(Set(guarded.runs).symmetricDifference(unguarded.runs).sorted() == [])
        #expect(guarded.runs == unguarded.runs)
        #expect(Set(guarded.logs).symmetricDifference(unguarded.logs).sorted() == [])
        #expect(guarded.logs == unguarded.logs)
    }
}
