import Foundation
import Graph
import Testing
@testable import Runtime

private func call(_ url: String, retry: GraphRetry = GraphRetry(attempts: 3, backoff: "fixed", delayMilliseconds: 10, maxDelayMilliseconds: 100), timeout: Int64? = 2000, extra: [(String, GraphValue)] = []) -> GraphFlow {
    matchFlow("hooks", [
        act("notify", "http", [("url", .string(url))] + extra, retry: retry, timeoutMilliseconds: timeout),
        act("report", "emit", [("type", .string("r")), ("data", object([
            ("status", exprValue("actions.notify.status")),
            ("attempts", exprValue("actions.notify.attempts")),
            ("code", exprValue("has(actions.notify.error) ? actions.notify.error.code : ''")),
            ("http", exprValue("has(actions.notify.output) ? actions.notify.output.status : -1")),
            ("ok", exprValue("has(actions.notify.output) && has(actions.notify.output.json) ? actions.notify.output.json.ok : false")),
        ]))], runAfter: ["notify": ["succeeded", "failed", "timed_out"]]),
    ])
}

private func report(_ result: Harness) -> [String: Any] {
    result.emitted.first?["data"] as? [String: Any] ?? [:]
}

@Suite(.serialized) struct HTTPActionTests {
    @Test func successSendsJSONAndReadsTheResponse() async throws {
        let server = try TestHTTPServer([.init(status: 201, body: #"{"ok": true}"#, headers: [("X-Reply", "yes")])])
        defer { server.stop() }
        let flow = call(server.url + "/hook", extra: [
            ("method", .string("PUT")),
            ("headers", object([("X-Count", template(["", expr("event.data.memberCount")]))])),
            ("json", object([("count", exprValue("event.data.memberCount")), ("name", .string("n"))])),
        ])
        let result = try await Harness.run([flow], lines: [segmentEvent(42, id: "ev1")])
        let data = report(result)
        #expect(data["status"] as? String == "succeeded")
        #expect(data["http"] as? Int == 201)
        #expect(data["ok"] as? Bool == true)
        let request = try #require(server.requests.first)
        #expect(request.method == "PUT")
        #expect(request.path == "/hook")
        #expect(request.headers["x-count"] == "42")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["idempotency-key"] == "hooks//test/ev1/notify")
        let body = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
        #expect(body?["count"] as? Int == 42)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let server = try TestHTTPServer([.init(status: 404)])
        defer { server.stop() }
        let result = try await Harness.run([call(server.url)], lines: [segmentEvent(1)])
        #expect(report(result)["status"] as? String == "failed")
        #expect(report(result)["code"] as? String == "http.status")
        #expect(report(result)["attempts"] as? Int == 1)
        #expect(server.requests.count == 1)
    }

    @Test func serverErrorsAreRetriedWithTheSameIdempotencyKey() async throws {
        let server = try TestHTTPServer([.init(status: 503), .init(status: 500), .init(status: 200)])
        defer { server.stop() }
        let result = try await Harness.run([call(server.url)], lines: [segmentEvent(1, id: "same")])
        #expect(report(result)["status"] as? String == "succeeded")
        #expect(report(result)["attempts"] as? Int == 3)
        let keys = server.requests.map { $0.headers["idempotency-key"] }
        #expect(keys == Array(repeating: "hooks//test/same/notify", count: 3))
    }

    @Test func tooManyRequestsIsRetriedWithExponentialBackoff() async throws {
        let server = try TestHTTPServer([.init(status: 429), .init(status: 429), .init(status: 429)])
        defer { server.stop() }
        let retry = GraphRetry(attempts: 3, backoff: "exponential", delayMilliseconds: 40, maxDelayMilliseconds: 1000)
        let result = try await Harness.run([call(server.url, retry: retry)], lines: [segmentEvent(1)])
        #expect(report(result)["status"] as? String == "failed")
        #expect(report(result)["attempts"] as? Int == 3)
        let times = server.requests.map(\.receivedAt)
        try #require(times.count == 3)
        #expect(times[1].timeIntervalSince(times[0]) >= 0.035)
        #expect(times[2].timeIntervalSince(times[1]) >= 0.075)
    }

    @Test func backoffDelays() {
        let exponential = GraphRetry(attempts: 6, backoff: "exponential", delayMilliseconds: 100, maxDelayMilliseconds: 500)
        #expect((2...6).map { HTTPAction.delay(retry: exponential, beforeAttempt: $0) } == [100, 200, 400, 500, 500])
        let fixed = GraphRetry(attempts: 3, backoff: "fixed", delayMilliseconds: 70, maxDelayMilliseconds: 0)
        #expect((2...3).map { HTTPAction.delay(retry: fixed, beforeAttempt: $0) } == [70, 70])
    }

    @Test func expectListDecidesSuccess() async throws {
        let server = try TestHTTPServer([.init(status: 404)])
        defer { server.stop() }
        let result = try await Harness.run([call(server.url, extra: [("expect", .list([.int(404)]))])], lines: [segmentEvent(1)])
        #expect(report(result)["status"] as? String == "succeeded")
    }

    @Test func timeoutsAreTimedOutAndRetried() async throws {
        let server = try TestHTTPServer([.init(status: 200, delay: 0.6)])
        defer { server.stop() }
        let started = Date()
        let retry = GraphRetry(attempts: 2, backoff: "fixed", delayMilliseconds: 10, maxDelayMilliseconds: 10)
        let result = try await Harness.run([call(server.url, retry: retry, timeout: 150)], lines: [segmentEvent(1)])
        #expect(report(result)["status"] as? String == "timed_out")
        #expect(report(result)["attempts"] as? Int == 2)
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(server.requests.count == 2)
    }

    @Test func connectionRefusedIsHTTPConnectAndRetried() async throws {
        let retry = GraphRetry(attempts: 2, backoff: "fixed", delayMilliseconds: 10, maxDelayMilliseconds: 10)
        let result = try await Harness.run([call("http://127.0.0.1:\(closedPort())/", retry: retry)], lines: [segmentEvent(1)])
        #expect(report(result)["status"] as? String == "failed")
        #expect(report(result)["code"] as? String == "http.connect")
        #expect(report(result)["attempts"] as? Int == 2)
    }

    @Test func dryRunSendsNothing() async throws {
        let server = try TestHTTPServer([.init(status: 200)])
        defer { server.stop() }
        let result = try await Harness.run([call(server.url)], lines: [segmentEvent(1)], dryRun: true)
        #expect(server.requests.isEmpty)
        #expect(report(result)["http"] as? Int == 0)
        #expect(report(result)["status"] as? String == "succeeded")
        let action = (result.records.first?["actions"] as? [[String: Any]])?.first
        #expect(action?["dry_run"] as? Bool == true)
    }

    @Test func secretsInHeadersAreSentButNeverWritten() async throws {
        let server = try TestHTTPServer([.init(status: 500)])
        defer { server.stop() }
        let flow = call(server.url, retry: .once, extra: [("headers", object([("Authorization", template(["Bearer ", expr("secrets.TOKEN")]))]))])
        let result = try await Harness.run([flow], lines: [segmentEvent(1)], secrets: ["TOKEN": "hunter2-secret"])
        #expect(server.requests.first?.headers["authorization"] == "Bearer hunter2-secret")
        #expect(!result.rawOutput.contains("hunter2-secret"))
    }
}
