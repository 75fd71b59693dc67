import Foundation
import Graph
import Testing
@testable import Runtime

@Suite struct ActionTests {
    @Test func emitWritesACloudEventWithStableIds() async throws {
        let flow = matchFlow("f", [act("out", "emit", [
            ("type", .string("done")), ("subject", template(["seg ", expr("event.data.segment")])),
            ("data", object([("count", exprValue("event.data.memberCount")), ("text", template(["n=", expr("event.data.memberCount"), " at ", expr("now")]))])),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(7, id: "abc")])
        let event = try #require(result.emitted.first)
        #expect(event["specversion"] as? String == "1.0")
        #expect(event["id"] as? String == "f//test/abc/out")
        #expect(event["source"] as? String == "flowc/f")
        #expect(event["type"] as? String == "done")
        #expect(event["subject"] as? String == "seg VIP")
        #expect(event["time"] as? String == "2026-03-06T16:00:00Z")
        #expect(event["flowcrunid"] as? String == result.records.first?["run"] as? String)
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["count"] as? Int == 7)
        #expect(data["text"] as? String == "n=7 at 2026-03-06T16:00:00Z")
    }

    @Test func emitOutputIsVisibleToLaterActions() async throws {
        let flow = matchFlow("f", [
            act("a", "emit", [("type", .string("one")), ("data", .null)]),
            act("b", "emit", [("type", .string("two")), ("data", exprValue("actions.a.output.id + ' ' + actions.a.status"))]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(1, id: "x")])
        #expect(result.emitted.last?["data"] as? String == "f//test/x/a succeeded")
    }

    @Test func varsComputeInOrderAndSetReplacesThem() async throws {
        let flow = matchFlow("f", vars: [
            ("base", "int", exprValue("event.data.memberCount * 2")),
            ("label", "string", template(["v", expr("vars.base")])),
        ], [
            act("first", "emit", [("type", .string("t")), ("data", exprValue("vars.label"))]),
            act("change", "set", [("var", .string("label")), ("value", .string("changed"))]),
            act("second", "emit", [("type", .string("t")), ("data", exprValue("vars.label"))]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(21)])
        #expect(result.emitted.map { $0["data"] as? String } == ["v42", "changed"])
    }

    @Test func logWritesTimeLevelFlowRunMessage() async throws {
        let flow = matchFlow("f", [act("l", "log", [("message", template(["count ", expr("event.data.memberCount")])), ("level", .string("warning"))])])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)])
        let run = try #require(result.records.first?["run"] as? String)
        #expect(result.logs == ["2026-03-06T16:00:00Z warning f \(run): count 3"])
    }

    @Test func failFailsTheActionAndTheRun() async throws {
        let flow = matchFlow("f", [
            act("boom", "fail", [("message", .string("nope")), ("code", .string("custom"))]),
            act("after", "log", [("message", .string("never"))]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)])
        #expect(result.status() == "failed")
        #expect(result.statuses() == ["boom: failed", "after: skipped"])
        let error = (result.records.first?["actions"] as? [[String: Any]])?.first?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "custom")
        #expect(error?["message"] as? String == "nope")
        #expect(result.counts.runs["failed"] == 1)
    }

    @Test func evaluationErrorsFailTheAction() async throws {
        let flow = matchFlow("f", [act("bad", "emit", [("type", .string("t")), ("data", exprValue("env.UNSET"))])])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)])
        #expect(result.statuses() == ["bad: failed"])
        #expect(result.emitted.isEmpty)
    }

    @Test func ifFalseSkipsAndTheNextIsSkippedToo() async throws {
        let flow = matchFlow("f", [
            act("maybe", "log", [("message", .string("x"))], if: "event.data.memberCount > 100"),
            act("next", "log", [("message", .string("y"))]),
            act("always", "log", [("message", .string("z"))], runAfter: ["next": ["skipped"]]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)])
        #expect(result.statuses() == ["maybe: skipped", "next: skipped", "always: succeeded"])
        #expect(result.status() == "succeeded")
    }

    @Test func runRecordHasTheSpecFields() async throws {
        let flow = matchFlow("f", [act("a", "log", [("message", .string("x"))])])
        let result = try await Harness.run([flow], lines: [segmentEvent(3, id: "id-1")])
        let record = try #require(result.records.first)
        #expect(record["flow"] as? String == "f")
        #expect((record["event"] as? [String: String]) == ["source": "/test", "id": "id-1", "type": "segment.refresh"])
        #expect(record["startedAt"] is String && record["finishedAt"] is String)
        let action = try #require((record["actions"] as? [[String: Any]])?.first)
        #expect(action["path"] as? String == "a")
        #expect(action["attempts"] as? Int == 1)
        #expect(action["startedAt"] is String && action["finishedAt"] is String)
        let again = try await Harness.run([flow], lines: [segmentEvent(3, id: "id-1")])
        #expect(again.records.first?["run"] as? String == record["run"] as? String)
    }

    @Test func secretsNeverAppearInOutput() async throws {
        let flow = matchFlow("f", [
            act("l", "log", [("message", template(["token ", expr("secrets.TOKEN")]))]),
            act("e", "emit", [("type", .string("t")), ("data", object([("t", exprValue("secrets.TOKEN"))]))]),
            act("x", "fail", [("message", template(["bad ", expr("secrets.TOKEN")]))]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)], secrets: ["TOKEN": "s3cr3t-value"])
        #expect(!result.rawOutput.contains("s3cr3t-value"))
        #expect(result.rawOutput.contains("token ***"))
        #expect(result.statuses() == ["l: succeeded", "e: succeeded", "x: failed"])
    }

    @Test func clockWallUsesWallTime() async throws {
        let flow = matchFlow("f", [act("e", "emit", [("type", .string("t")), ("data", exprValue("now"))])])
        let result = try await Harness.run([flow], lines: [segmentEvent(3)], clock: .wall)
        let time = try #require(result.emitted.first?["data"] as? String)
        #expect(time > "2026-03-06T16:00:00Z" || time.hasPrefix("20"))
        #expect(time != "2026-03-06T16:00:00Z")
    }
}

@Suite struct RunAfterTests {
    private func flow(_ first: TestAction, on statuses: [String]) -> GraphFlow {
        matchFlow("f", [first, act("catch", "log", [("message", .string("c"))], runAfter: [first.action.path: statuses])])
    }

    @Test func onSucceeded() async throws {
        let ok = try await Harness.run([flow(act("a", "log", [("message", .string("x"))]), on: ["succeeded"])], lines: [segmentEvent(1)])
        #expect(ok.statuses() == ["a: succeeded", "catch: succeeded"])
        let notOk = try await Harness.run([flow(act("a", "fail", [("message", .string("x"))]), on: ["succeeded"])], lines: [segmentEvent(1)])
        #expect(notOk.statuses() == ["a: failed", "catch: skipped"])
        #expect(notOk.status() == "failed")
    }

    @Test func onFailedHandlesTheFailure() async throws {
        let result = try await Harness.run([flow(act("a", "fail", [("message", .string("x"))]), on: ["failed"])], lines: [segmentEvent(1)])
        #expect(result.statuses() == ["a: failed", "catch: succeeded"])
        #expect(result.status() == "succeeded")
    }

    @Test func onSkipped() async throws {
        let result = try await Harness.run([flow(act("a", "log", [("message", .string("x"))], if: "false"), on: ["skipped"])], lines: [segmentEvent(1)])
        #expect(result.statuses() == ["a: skipped", "catch: succeeded"])
    }

    @Test func onTimedOut() async throws {
        let server = try TestHTTPServer([.init(status: 200, delay: 0.5)])
        defer { server.stop() }
        let slow = act("a", "http", [("url", .string(server.url))], timeoutMilliseconds: 100)
        let result = try await Harness.run([flow(slow, on: ["timed_out"])], lines: [segmentEvent(1)])
        #expect(result.statuses() == ["a: timed_out", "catch: succeeded"])
        #expect(result.status() == "succeeded")
        let unhandled = try await Harness.run([flow(slow, on: ["failed"])], lines: [segmentEvent(2)])
        #expect(unhandled.statuses() == ["a: timed_out", "catch: skipped"])
        #expect(unhandled.status() == "failed")
    }
}
