import Foundation
import Graph
import Testing
@testable import Runtime

private let record = act("note", "emit", [("type", .string("crossed")), ("data", object([
    ("previous", exprValue("trigger.previous")), ("current", exprValue("trigger.current")),
    ("direction", exprValue("trigger.direction")), ("key", exprValue("trigger.key")), ("threshold", exprValue("trigger.threshold")),
]))])

@Suite struct ThresholdTriggerTests {
    @Test func firstObservationOnlyRecordsTheSide() async throws {
        let result = try await Harness.run([thresholdFlow("vip", [record])], lines: [segmentEvent(12000)])
        #expect(result.counts.runsStarted == 0)
        #expect(result.emitted.isEmpty)
    }

    @Test func crossingUpFiresWithPreviousCurrentDirectionAndKey() async throws {
        let result = try await Harness.run([thresholdFlow("vip", [record])], lines: [segmentEvent(9000), segmentEvent(12000), segmentEvent(13000)])
        #expect(result.counts.runs["succeeded"] == 1)
        let data = try #require(result.emitted.first?["data"] as? [String: Any])
        #expect(data["previous"] as? Int == 9000)
        #expect(data["current"] as? Int == 12000)
        #expect(data["direction"] as? String == "up")
        #expect(data["key"] as? String == "VIP")
        #expect(data["threshold"] as? Double == 10000)
    }

    @Test func valueEqualToTheThresholdIsNotAbove() async throws {
        let up = try await Harness.run([thresholdFlow("vip", [record])], lines: [segmentEvent(9000), segmentEvent(10000), segmentEvent(10001)])
        #expect(up.emitted.count == 1)
        #expect((up.emitted.first?["data"] as? [String: Any])?["previous"] as? Int == 10000)
        let down = try await Harness.run([thresholdFlow("vip", direction: "down", [record])], lines: [segmentEvent(12000), segmentEvent(10000)])
        #expect(down.emitted.count == 1)
        #expect((down.emitted.first?["data"] as? [String: Any])?["direction"] as? String == "down")
    }

    @Test func upIgnoresDownwardCrossings() async throws {
        let result = try await Harness.run([thresholdFlow("vip", [record])], lines: [segmentEvent(12000), segmentEvent(9000), segmentEvent(11000), segmentEvent(8000)])
        #expect(result.emitted.count == 1)
        #expect((result.emitted.first?["data"] as? [String: Any])?["current"] as? Int == 11000)
    }

    @Test func downFiresOnlyGoingDown() async throws {
        let result = try await Harness.run([thresholdFlow("vip", direction: "down", [record])], lines: [segmentEvent(9000), segmentEvent(12000), segmentEvent(9500)])
        #expect(result.emitted.count == 1)
        #expect((result.emitted.first?["data"] as? [String: Any])?["current"] as? Int == 9500)
    }

    @Test func anyFiresBothWays() async throws {
        let result = try await Harness.run([thresholdFlow("vip", direction: "any", [record])], lines: [segmentEvent(9000), segmentEvent(12000), segmentEvent(9500), segmentEvent(9600)])
        let directions = result.emitted.compactMap { ($0["data"] as? [String: Any])?["direction"] as? String }
        #expect(directions == ["up", "down"])
    }

    @Test func failedRefreshesChangeNothing() async throws {
        let result = try await Harness.run([thresholdFlow("vip", [record])], lines: [
            segmentEvent(9000), segmentEvent(50000, status: "failed"), segmentEvent(9100), segmentEvent(12000),
        ])
        #expect(result.emitted.count == 1)
        #expect((result.emitted.first?["data"] as? [String: Any])?["previous"] as? Int == 9100)
    }

    @Test func keysAreIndependent() async throws {
        let flows = [thresholdFlow("a", segment: "A", [record]), thresholdFlow("b", segment: "B", [record])]
        let result = try await Harness.run(flows, lines: [
            segmentEvent(9000, segment: "A"), segmentEvent(12000, segment: "B"), segmentEvent(12000, segment: "A"), segmentEvent(13000, segment: "B"),
        ])
        #expect(result.emitted.count == 1)
        #expect((result.emitted.first?["data"] as? [String: Any])?["key"] as? String == "A")
    }
}

@Suite struct MatchTriggerTests {
    @Test func filterDecidesAndGlobMatchWorks() async throws {
        let flow = matchFlow(
            "ds", types: ["datasource.refresh"], eventType: "datasource.refresh",
            filter: "event.data.status == 'failed' && trigger.datasource.exists(p, globMatch(event.data.datasource, p))",
            parameters: [GraphParameter(name: "datasource", type: "list(string)", value: .list([.string("Sales *")]))],
            [act("n", "emit", [("type", .string("x")), ("data", exprValue("event.data.datasource"))])]
        )
        func line(_ id: String, _ name: String, _ status: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"/s","type":"datasource.refresh","data":{"datasource":"\#(name)","status":"\#(status)"}}"#
        }
        let result = try await Harness.run([flow], lines: [line("1", "Sales EU", "failed"), line("2", "Sales EU", "succeeded"), line("3", "Web", "failed")])
        #expect(result.emitted.map { $0["data"] as? String } == ["Sales EU"])
    }

    @Test func wildcardEventTypesAndUntypedData() async throws {
        let flow = matchFlow("crm", types: ["crm.consent.*"], eventType: nil, filter: "event.data.granted == true",
                             [act("n", "emit", [("type", .string("x")), ("data", exprValue("event.type"))])])
        let lines = [
            #"{"specversion":"1.0","id":"1","source":"/s","type":"crm.consent.changed","data":{"granted":true}}"#,
            #"{"specversion":"1.0","id":"2","source":"/s","type":"crm.consent.changed","data":{"granted":false}}"#,
            #"{"specversion":"1.0","id":"3","source":"/s","type":"crm.other","data":{"granted":true}}"#,
        ]
        let result = try await Harness.run([flow], lines: lines)
        #expect(result.emitted.map { $0["data"] as? String } == ["crm.consent.changed"])
        #expect(result.counts.droppedByType == 1)
    }

    @Test func conditionsMustAllHoldAndErrorsAreRecorded() async throws {
        let flow = matchFlow("c", conditions: ["event.data.memberCount > 10", "event.data.segment != 'skip'"], [act("n", "log", [("message", .string("hi"))])])
        let result = try await Harness.run([flow], lines: [segmentEvent(5), segmentEvent(50), segmentEvent(60, segment: "skip")])
        #expect(result.counts.runsStarted == 1)
        let failing = matchFlow("e", conditions: ["env.MISSING == 'x'"], [act("n", "log", [("message", .string("hi"))])])
        let errored = try await Harness.run([failing], lines: [segmentEvent(5)])
        #expect(errored.counts.runsStarted == 0)
        #expect(errored.counts.notStarted == 1)
        #expect(errored.logs.contains { $0.contains("run not started") && $0.contains("env.MISSING") })
    }

    @Test func disabledFlowsNeverRun() async throws {
        var flow = matchFlow("off", [act("n", "log", [("message", .string("hi"))])])
        flow.enabled = false
        let result = try await Harness.run([flow], lines: [segmentEvent(5)])
        #expect(result.counts.runsStarted == 0)
        #expect(result.counts.droppedByType == 1)
    }
}
