import CEL
import Foundation
import Graph
import Testing
@testable import Runtime

/// A flow for every event type of the catalog, so every line's data is checked.
private let listeners: [GraphFlow] = ["segment.refresh", "datasource.refresh", "measure.refresh", "system.refresh", "unification.refresh"].map { type in
    matchFlow("listen-" + type.replacingOccurrences(of: ".", with: "-"), types: [type], eventType: type, [act("l", "log", [("message", .string("x"))])])
}

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct InputTests {
    @Test func everyInvalidSampleLineIsRejectedWithItsReason() async throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("flows/samples/invalid-events.ndjson"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        #expect(lines.count == 14)
        let result = try await Harness.run(listeners, lines: lines)
        #expect(result.counts.rejected == 14)
        #expect(result.counts.eventsRead == 14)
        #expect(result.counts.runsStarted == 0)
        #expect(result.deadLetters == lines)
        let expected = [
            "events.ndjson:1: not JSON",
            "events.ndjson:2: expected a JSON object (a CloudEvent), got list",
            "events.ndjson:3: id: missing",
            "events.ndjson:4: specversion: expected \"1.0\"",
            "events.ndjson:5: data.memberCount: expected int, got string",
            "events.ndjson:6: data.memberCount: expected int, got a number with a fraction",
            "events.ndjson:7: data.status: missing",
            "events.ndjson:8: data.value: expected double, got string",
            "events.ndjson:9: data.completedAt: expected an RFC 3339 timestamp",
            "events.ndjson:10: data.scope: expected a list, got string",
            "events.ndjson:11: data.stages[0].status: missing",
            "events.ndjson:12: time: expected an RFC 3339 timestamp",
            "events.ndjson:13: data: expected an object, got string",
            "events.ndjson:14: data.error.message: missing",
        ]
        #expect(result.logs.count == expected.count)
        for (log, prefix) in zip(result.logs, expected) {
            #expect(log.hasPrefix(prefix), "\(log) should start with \(prefix)")
        }
    }

    @Test func unlistenedTypesAreDroppedWithoutReadingData() async throws {
        let line = #"{"specversion":"1.0","id":"1","source":"/s","type":"billing.invoice.created","data":"not even an object"}"#
        let result = try await Harness.run(listeners, lines: [line])
        #expect(result.counts.droppedByType == 1)
        #expect(result.counts.rejected == 0)
    }

    @Test func duplicatesAreCountedAndSkipped() async throws {
        let result = try await Harness.run(listeners, lines: [segmentEvent(1, id: "d"), segmentEvent(2, id: "d"), segmentEvent(3, id: "e")])
        #expect(result.counts.duplicates == 1)
        #expect(result.counts.runsStarted == 2)
    }

    @Test func missingTimeIsFilledWithTheReadTime() async throws {
        let flow = matchFlow("t", [act("e", "emit", [("type", .string("t")), ("data", exprValue("event.time"))])])
        let line = #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"A","status":"succeeded","memberCount":1}}"#
        let result = try await Harness.run([flow], lines: [line])
        let time = try #require(result.emitted.first?["data"] as? String)
        #expect(time.hasPrefix("20") && time.hasSuffix("Z"))
    }

    @Test func blankLinesAreSkipped() async throws {
        let result = try await Harness.run(listeners, lines: ["", "   ", segmentEvent(1)])
        #expect(result.counts.eventsRead == 1)
    }

    @Test func eventWindowForgetsBeyondItsCapacity() {
        let window = InMemoryEventWindow(capacity: 2)
        #expect(window.insert(source: "s", id: "1"))
        #expect(!window.insert(source: "s", id: "1"))
        #expect(window.insert(source: "s", id: "2"))
        #expect(window.insert(source: "s", id: "3"))
        #expect(window.insert(source: "s", id: "1"))
    }

    @Test func lineReaderSplitsLinesAndHandlesMissingFinalNewline() throws {
        let path = NSTemporaryDirectory() + "flowc-lines-\(UUID().uuidString).ndjson"
        try "a\r\nb\n\nc".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let reader = LineReader(descriptor: descriptor)
        var lines: [String] = []
        while let line = reader.next() { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == ["a", "b", "", "c"])
        #expect(reader.lineNumber == 4)
    }

    @Test func globPatterns() {
        #expect(Glob.matches("crm.consent.changed", pattern: "crm.*"))
        #expect(Glob.matches("abc", pattern: "*"))
        #expect(Glob.matches("a.b.c", pattern: "a.*.c"))
        #expect(!Glob.matches("a.b.d", pattern: "a.*.c"))
        #expect(!Glob.matches("crm", pattern: "crm.*"))
    }
}

@Suite struct ConcurrencyTests {
    private func slowFlow(_ mode: String, _ url: String) -> GraphFlow {
        matchFlow("slow", concurrency: mode, [act("call", "http", [("url", .string(url))], retry: .once, timeoutMilliseconds: 5000)])
    }

    @Test func queuedRunsOneAtATimeInEventOrder() async throws {
        // Each answer waits a while for a second request to overlap it; queued never sends one.
        let server = try TestHTTPServer([.init(status: 200, holdUntilInFlight: 2, holdAtMost: 0.2)])
        defer { server.stop() }
        let result = try await Harness.run([slowFlow("queued", server.url)], lines: (1...4).map { segmentEvent($0, id: "q\($0)") })
        #expect(result.records.compactMap { ($0["event"] as? [String: Any])?["id"] as? String } == ["q1", "q2", "q3", "q4"])
        #expect(server.requests.count == 4)
        #expect(server.maxInFlight == 1)
    }

    @Test func singleDropsEventsWhileARunIsGoing() async throws {
        // The first run's answer is held (up to 2 s) for an overlapping request that `single`
        // must never send; the other two events arrive meanwhile and are dropped.
        let server = try TestHTTPServer([.init(status: 200, holdUntilInFlight: 2, holdAtMost: 2)])
        defer { server.stop() }
        let result = try await Harness.run([slowFlow("single", server.url)], lines: (1...3).map { segmentEvent($0) })
        #expect(server.maxInFlight == 1)
        #expect(result.counts.runsStarted == 1)
        #expect(result.counts.droppedSingle == 2)
    }

    @Test func parallelStartsRunsAtOnce() async throws {
        // No answer goes out before all three requests are in flight (or 10 s pass, and the
        // test fails on the peak).
        let server = try TestHTTPServer([.init(status: 200, holdUntilInFlight: 3)])
        defer { server.stop() }
        let result = try await Harness.run([slowFlow("parallel", server.url)], lines: (1...3).map { segmentEvent($0) })
        #expect(result.counts.runs["succeeded"] == 3)
        #expect(server.requests.count == 3)
        #expect(server.maxInFlight == 3)
    }

    @Test func differentFlowsRunConcurrently() async throws {
        let server = try TestHTTPServer([.init(status: 200, holdUntilInFlight: 2)])
        defer { server.stop() }
        var second = slowFlow("queued", server.url)
        second.name = "other"
        let result = try await Harness.run([slowFlow("queued", server.url), second], lines: [segmentEvent(1)])
        #expect(result.counts.runs["succeeded"] == 2)
        #expect(server.requests.count == 2)
        #expect(server.maxInFlight == 2)
    }
}

@Suite struct LongLineTests {
    @Test func overlongLinesAreCutAndTheRestSkipped() throws {
        let path = NSTemporaryDirectory() + "flowc-long-\(UUID().uuidString).ndjson"
        try ("a\n" + String(repeating: "x", count: 5000) + "\nb\n" + String(repeating: "y", count: 3000)).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let reader = LineReader(descriptor: descriptor)
        reader.maxLineLength = 1000
        var seen: [(String, Bool, Int)] = []
        while let line = reader.next() { seen.append((String(decoding: line.prefix(3), as: UTF8.self), reader.lastLineTooLong, reader.lineNumber)) }
        #expect(seen.map(\.0) == ["a", "xxx", "b", "yyy"])
        #expect(seen.map(\.1) == [false, true, false, true])
        #expect(seen.map(\.2) == [1, 2, 3, 4])
    }
}
