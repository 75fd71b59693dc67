import Foundation
import Graph
import Testing
@testable import Runtime

private func say(_ id: String, _ text: String) -> TestAction {
    act(id, "emit", [("type", .string("said")), ("data", .string(text))])
}

@Suite struct ControlActionTests {
    private func said(_ result: Harness) -> [String] { result.emitted.compactMap { $0["data"] as? String } }

    @Test func ifRunsThenOrElse() async throws {
        let flow = matchFlow("f", [act("route", "if", [("condition", exprValue("event.data.memberCount > 10"))], scopes: [
            scope("route/then", [say("big", "big")]),
            scope("route/else", [say("small", "small")]),
        ]), say("after", "after")])
        let result = try await Harness.run([flow], lines: [segmentEvent(50), segmentEvent(5)])
        #expect(said(result) == ["big", "after", "small", "after"])
        #expect(result.statuses(0) == ["route: succeeded", "big: succeeded", "after: succeeded"])
    }

    @Test func ifFailsWhenAnActionInsideFails() async throws {
        let flow = matchFlow("f", [act("route", "if", [("condition", .bool(true))], scopes: [
            scope("route/then", [act("x", "fail", [("message", .string("no"))])]),
        ]), act("recover", "log", [("message", .string("r"))], runAfter: ["route": ["failed"]])])
        let result = try await Harness.run([flow], lines: [segmentEvent(50)])
        #expect(result.statuses() == ["route: failed", "x: failed", "recover: succeeded"])
        #expect(result.status() == "succeeded")
    }

    @Test func switchPicksTheCaseOrDefault() async throws {
        let flow = matchFlow("f", [act("pick", "switch", [("on", exprValue("event.data.segment"))], scopes: [
            scope("pick/cases/gold", label: "gold", [say("g", "gold")]),
            scope("pick/cases/silver", label: "silver", [say("s", "silver")]),
            scope("pick/default", [say("d", "other")]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1, segment: "silver"), segmentEvent(1, segment: "gold"), segmentEvent(1, segment: "tin")])
        #expect(said(result) == ["silver", "gold", "other"])
    }

    @Test func switchOnInts() async throws {
        let flow = matchFlow("f", [act("pick", "switch", [("on", exprValue("event.data.memberCount"))], scopes: [
            scope("pick/cases/1", label: "1", [say("one", "one")]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1), segmentEvent(2)])
        #expect(said(result) == ["one"])
        #expect(result.records.count == 2)
    }

    @Test func foreachBindsItemsAndIndexesIds() async throws {
        let flow = matchFlow("f", [act("loop", "foreach", [("items", exprValue("[1, 2, 3]")), ("as", .string("n"))], scopes: [
            scope("loop/do", [act("each", "emit", [("type", .string("t")), ("data", exprValue("n * 10"))])]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1, id: "x")])
        #expect(result.emitted.compactMap { $0["data"] as? Int } == [10, 20, 30])
        #expect(result.emitted.compactMap { $0["id"] as? String } == ["f//test/x/each/0", "f//test/x/each/1", "f//test/x/each/2"])
        #expect(result.statuses() == ["loop: succeeded", "each/0: succeeded", "each/1: succeeded", "each/2: succeeded"])
    }

    @Test func foreachWithConcurrencyKeepsWrittenOrder() async throws {
        let flow = matchFlow("f", [act("loop", "foreach", [("items", exprValue("['a', 'b', 'c', 'd']")), ("concurrency", .int(3))], scopes: [
            scope("loop/do", [act("each", "emit", [("type", .string("t")), ("data", exprValue("item"))])]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(said(result) == ["a", "b", "c", "d"])
    }

    @Test func foreachFailsWhenAnIterationFails() async throws {
        let flow = matchFlow("f", [act("loop", "foreach", [("items", exprValue("[1, 2]"))], scopes: [
            scope("loop/do", [act("check", "fail", [("message", .string("bad"))], if: "item == 2")]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(result.statuses() == ["loop: failed", "check/0: skipped", "check/1: failed"])
        #expect(result.status() == "failed")
    }

    @Test func parallelRunsBranchesAndSucceedsWhenAllDo() async throws {
        let flow = matchFlow("f", [act("fan", "parallel", [], scopes: [
            scope("fan/branches/0", label: "0", [say("a", "a")]),
            scope("fan/branches/1", label: "1", [say("b", "b")]),
        ])])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(said(result) == ["a", "b"])
        #expect(result.statuses() == ["fan: succeeded", "a: succeeded", "b: succeeded"])
        let failing = matchFlow("g", [act("fan", "parallel", [], scopes: [
            scope("fan/branches/0", label: "0", [say("a", "a")]),
            scope("fan/branches/1", label: "1", [act("b", "fail", [("message", .string("x"))])]),
        ])])
        let failed = try await Harness.run([failing], lines: [segmentEvent(1)])
        #expect(failed.statuses() == ["fan: failed", "a: succeeded", "b: failed"])
    }

    @Test func scopeIsTryCatch() async throws {
        let flow = matchFlow("f", [
            act("try", "scope", [], scopes: [scope("try/do", [act("risky", "fail", [("message", .string("oops"))]), say("never", "never")])]),
            act("catch", "emit", [("type", .string("caught")), ("data", exprValue("actions.try.status"))], runAfter: ["try": ["failed"]]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(result.statuses() == ["try: failed", "risky: failed", "never: skipped", "catch: succeeded"])
        #expect(said(result) == ["failed"])
        #expect(result.status() == "succeeded")
    }

    @Test func innerActionsAreNotVisibleOutside() async throws {
        let flow = matchFlow("f", [
            act("group", "scope", [], scopes: [scope("group/do", [say("inner", "i")])]),
            act("probe", "emit", [("type", .string("t")), ("data", exprValue("has(actions.inner)"))]),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(result.emitted.last?["data"] as? Bool == false)
    }

    @Test func terminateEndsTheRunWithItsStatus() async throws {
        let flow = matchFlow("f", [
            say("first", "1"),
            act("stop", "terminate", [("status", .string("cancelled")), ("message", .string("enough"))]),
            say("later", "2"),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(result.status() == "cancelled")
        #expect(result.records.first?["message"] as? String == "enough")
        #expect(said(result) == ["1"])
        #expect(result.statuses() == ["first: succeeded", "stop: succeeded", "later: skipped"])
        #expect(result.counts.runs["cancelled"] == 1)
        let failing = matchFlow("g", [act("stop", "terminate", [("status", .string("failed"))])])
        #expect(try await Harness.run([failing], lines: [segmentEvent(1)]).status() == "failed")
    }

    @Test func terminateInsideANestedListStopsEverything() async throws {
        let flow = matchFlow("f", [
            act("route", "if", [("condition", .bool(true))], scopes: [scope("route/then", [act("stop", "terminate", [("status", .string("succeeded"))]), say("x", "x")])]),
            say("after", "after"),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)])
        #expect(result.status() == "succeeded")
        #expect(said(result).isEmpty)
    }
}
