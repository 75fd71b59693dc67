import CEL
import Diagnostics
import Foundation
import Graph
import Testing
@testable import FlowTestRunner

@Suite struct ExpectationTests {
    @Test func matchingExpectationsOfEveryKindPass() async throws {
        let outcome = try await Fixture.notify("""
              - name: ok
                http:
                  - { method: POST, url: "https://hooks.example/*", status: 200, json: { ok: true } }
                events:
            \(refresh(500))\(refresh(7, status: "failed"))
                expect:
                  runs:
                    - { flow: notify, event: 1, status: succeeded, actions: { post: succeeded, audit: succeeded } }
                  emitted:
                    - { type: sales.vip.notified, data: { ok: true } }
                  requests:
                    - { method: POST, url: https://hooks.example/sales, headers: { Idempotency-Key: notify/flowc-test/e1/post }, json: { count: 500 } }

            """)
        #expect(outcome.diagnostics.isEmpty, "\(outcome.diagnostics)")
        #expect(outcome.results.map(\.passed) == [true], "\(outcome.allDiagnostics)")
    }

    @Test func aDifferentRunIsReportedAtTheExpectationWithADiff() async throws {
        let outcome = try await Fixture.notify("""
              - name: wrong status
                http: [{ url: "*", status: 200 }]
                events:
            \(refresh(500))
                expect:
                  runs:
                    - { flow: notify, event: 1, status: failed }

            """)
        let failure = try #require(outcome.results.first?.failures.first)
        #expect(failure.code.rawValue == "FC0310")
        #expect(failure.span.start.line == 11)
        #expect(failure.label == "run 1 differs")
        #expect(failure.notes.map(\.message).contains("- {flow: notify, event: 1, status: failed}"))
        #expect(failure.notes.contains { $0.message.hasPrefix("+ {flow: notify, event: 1, status: succeeded") })
    }

    @Test func aMissingRunIsACountMismatch() async throws {
        let outcome = try await Fixture.notify("""
              - name: nothing runs
                events:
            \(refresh(500, status: "failed"))
                expect:
                  runs:
                    - { flow: notify, event: 1 }

            """)
        let failure = try #require(outcome.results.first?.failures.first)
        #expect(failure.label == "expected 1 run, got 0")
    }

    @Test func emittedDataIsComparedAsASubset() async throws {
        let outcome = try await Fixture.notify("""
              - name: emitted differs
                http: [{ url: "*", status: 200 }]
                events:
            \(refresh(500))
                expect:
                  emitted:
                    - { type: sales.vip.notified, data: { ok: false } }

            """)
        let failure = try #require(outcome.results.first?.failures.first)
        #expect(failure.code.rawValue == "FC0310")
        #expect(failure.message.contains("`emitted`"))
        #expect(failure.notes.map(\.message).contains(#"+ {type: sales.vip.notified, data: {"ok":true,"attempts":1}}"#))
    }

    @Test func requestBodiesAndUrlsAreChecked() async throws {
        let outcome = try await Fixture.notify("""
              - name: wrong body
                http: [{ url: "*", status: 200 }]
                events:
            \(refresh(500))
                expect:
                  requests:
                    - { method: POST, url: "https://hooks.example/*", json: { count: 501 } }

            """)
        let failure = try #require(outcome.results.first?.failures.first)
        #expect(failure.message.contains("`requests`"))
        #expect(failure.label == "request 1 differs")
    }

    @Test func anUnmatchedRequestFailsTheTestOnceWithItsCount() async throws {
        let outcome = try await Fixture.notify("""
              - name: no canned response
                events:
            \(refresh(500))

            """)
        let failures = try #require(outcome.results.first?.failures)
        #expect(failures.map(\.code.rawValue) == ["FC0311"])
        #expect(failures.first?.message == "no canned response for `POST https://hooks.example/sales`")
        #expect(failures.first?.label == "3 requests in this test")
    }

    @Test func failuresAreRetriedWithoutWaitingAndTheRunAfterPathRuns() async throws {
        let outcome = try await Fixture.notify("""
              - name: retried
                http:
                  - { method: POST, url: "https://hooks.example/*", status: 500 }
                  - { method: POST, url: "https://hooks.example/*", status: 502 }
                  - { method: POST, url: "https://hooks.example/*", status: 200 }
                events:
            \(refresh(500))
                expect:
                  runs:
                    - { flow: notify, event: 1, status: succeeded, actions: { post: succeeded, audit: succeeded } }
                  emitted:
                    - { type: sales.vip.notified, data: { ok: true, attempts: 3 } }
                  requests:
                    - { url: https://hooks.example/sales }
                    - { url: https://hooks.example/sales }
                    - { url: https://hooks.example/sales }
              - name: gives up, audits anyway
                http:
                  - { method: POST, url: "https://hooks.example/*", status: 503 }
                events:
            \(refresh(500))
                expect:
                  runs:
                    - { flow: notify, event: 1, actions: { post: failed, audit: succeeded } }
                  emitted:
                    - { type: sales.vip.notified, data: { ok: false, attempts: 3 } }

            """)
        #expect(outcome.results.map(\.passed) == [true, true], "\(outcome.allDiagnostics)")
    }

    /// The flow above asks for 10 s between attempts; a test run cuts every delay, also in
    /// nested lists, to a millisecond (checked on the graph, not with a clock).
    @Test func retryDelaysAreCutToAMillisecondEverywhere() {
        let slow = GraphRetry(attempts: 3, backoff: "exponential", delayMilliseconds: 10_000, maxDelayMilliseconds: 30_000)
        let span = GraphSpan(file: "f.yaml", line: 1, column: 1, endLine: 1, endColumn: 1)
        let inner = GraphAction(path: "outer/do/0", id: nil, type: "http", isControl: false, inputs: [], retry: slow, timeoutMilliseconds: nil, span: span)
        let outer = GraphAction(path: "outer", id: "outer", type: "scope", isControl: true, inputs: [],
                                scopes: [GraphScope(path: "outer/do", actions: [inner], edges: [])],
                                retry: slow, timeoutMilliseconds: nil, span: span)
        let cut = TinyRetries.apply(GraphScope(path: "actions", actions: [outer], edges: []))
        let retries = [cut.actions[0].retry, cut.actions[0].scopes[0].actions[0].retry]
        for retry in retries {
            #expect(retry.attempts == 3)
            #expect(retry.delayMilliseconds == 1)
            #expect(retry.maxDelayMilliseconds == 1)
        }
    }

    @Test func eventsOfAThresholdKeepStateWithinATestOnly() async throws {
        let flow = """
            flow: growth
            trigger:
              type: segment.threshold.crossed
              segment: VIP
              threshold: 100
              direction: up
            actions:
              - type: emit
                with:
                  type: vip.crossed
                  data:
                    count: ${{ trigger.current }}
            """
        let outcome = try await Fixture.notify("""
              - name: crosses
                events:
            \(refresh(50))\(refresh(150))\(refresh(160))
                expect:
                  runs: [{ flow: growth, event: 2, status: succeeded }]
                  emitted: [{ type: vip.crossed, data: { count: 150 } }]
              - name: a new test starts fresh, so the first refresh only records the side
                events:
            \(refresh(150))
                expect:
                  runs: []

            """, flow: flow)
        #expect(outcome.results.map(\.passed) == [true, true], "\(outcome.allDiagnostics)")
    }

    @Test func diffMarksOnlyWhatDiffers() {
        let lines = ExpectationComparison.diff(["a", "b", "c"], ["a", "c", "d"])
        #expect(lines == ["  a", "- b", "  c", "+ d"])
        #expect(ExpectationComparison.diff([], []) == ["  (nothing)"])
    }

    @Test func globsMatchAnyRun() {
        #expect(Glob.matches("https://hooks.example/a/b", pattern: "https://hooks.example/*"))
        #expect(Glob.matches("https://x/sales", pattern: "*/sales"))
        #expect(Glob.matches("https://x", pattern: "https://x"))
        #expect(!Glob.matches("https://y/a", pattern: "https://x/*"))
        #expect(Glob.matches("aXXbYYc", pattern: "a*b*c"))
        #expect(!Glob.matches("aXXbYY", pattern: "a*b*c"))
    }
}

@Suite struct OrderingTests {
    @Test func runsOfSeveralFlowsAreOrderedByEventThenFlow() async throws {
        let echo = """
            flow: echo
            trigger:
              type: event
              event_type: segment.refresh
            actions:
              - type: emit
                with:
                  type: echoed
                  data:
                    count: ${{ event.data.memberCount }}
            """
        let fixture = try Fixture(files: ["notify.yaml": Fixture.notifyFlow, "echo.yaml": echo, "t.test.yaml": """
            flows: [notify.yaml, echo.yaml]
            env: { HOOK: https://hooks.example/sales }
            tests:
              - name: both
                http: [{ url: "*", status: 200 }]
                events:
            \(refresh(1))\(refresh(2, status: "failed"))\(refresh(3))
                expect:
                  runs:
                    - { flow: notify, event: 1 }
                    - { flow: echo, event: 1 }
                    - { flow: echo, event: 2 }
                    - { flow: notify, event: 3 }
                    - { flow: echo, event: 3 }
                  emitted:
                    - { type: sales.vip.notified }
                    - { type: echoed, data: { count: 1 } }
                    - { type: echoed, data: { count: 2 } }
                    - { type: sales.vip.notified }
                    - { type: echoed, data: { count: 3 } }
                  requests:
                    - { json: { count: 1 } }
                    - { json: { count: 3 } }
            """])
        defer { fixture.remove() }
        for _ in 0..<5 {
            let outcome = await fixture.run()
            #expect(outcome.results.map(\.passed) == [true], "\(outcome.allDiagnostics)")
        }
    }
}
