import CEL
import Diagnostics
import Foundation
import Testing
@testable import Runtime

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct FastDecoderTests {
    let registry = EventTypeRegistry()
    let readTime = CELTimestamp(seconds: 1_700_000_000) ?? CELTimestamp(seconds: 0)!

    private func fast(_ line: String, listens: Bool = true) -> FastEventDecoder.Outcome {
        var text = line
        return text.withUTF8 { FastEventDecoder(registry: registry).decode($0, number: 1, listens: { _ in listens }, readTime: { readTime }) }
    }

    private func slow(_ line: String, listens: Bool = true) -> DecodedLine {
        EventDecoder(registry: registry).decode(line, number: 1, listens: { _ in listens }, readTime: { readTime })
    }

    /// Every line the fast path decodes, it decodes exactly as the checked path does.
    @Test func agreesWithTheCheckedPathOnTheSamples() throws {
        var decodedFast = 0
        for file in ["flows/samples/events.ndjson", "flows/samples/invalid-events.ndjson"] {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n").map(String.init) {
                switch (fast(line), slow(line)) {
                case (.event(let a), .event(let b)):
                    decodedFast += 1
                    #expect(RuntimeValues.json(a.value).serialized() == RuntimeValues.json(b.value).serialized(), "\(line)")
                    #expect(a.id == b.id && a.source == b.source && a.type == b.type && a.time == b.time && a.subject == b.subject)
                case (.event, let other):
                    Issue.record("fast path accepted a line the checked path gives \(other): \(line)")
                case (.unlistened, .rejected):
                    Issue.record("fast path dropped a line the checked path rejects: \(line)")
                default:
                    break
                }
            }
        }
        #expect(decodedFast == 400)
    }

    @Test func unlistenedTypesSkipData() {
        let line = #"{"specversion":"1.0","id":"1","source":"/s","type":"x.y","data":{"deep":[1,{"a":"b\"c"}],"n":null}}"#
        guard case .unlistened(let type) = fast(line, listens: false) else {
            Issue.record("expected unlistened")
            return
        }
        #expect(type == "x.y")
    }

    @Test func unusualLinesFallBack() {
        let cases = [
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"a\"b","status":"succeeded","memberCount":1}}"#,
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"a","status":"succeeded","memberCount":1.0}}"#,
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"a","status":null,"memberCount":1}}"#,
            #"{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"segment.refresh","data":{}}"#,
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"a","status":"s","memberCount":1}} trailing"#,
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"segment":"a","status":"s","memberCount":99999999999999999999}}"#,
            String(repeating: "[", count: 10_000),
        ]
        for line in cases {
            if case .event = fast(line) { Issue.record("should fall back: \(line)") }
        }
    }

    @Test func optionalNullsAreAbsentAndUnknownFieldsIgnored() {
        let line = #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh","data":{"extra":{"x":[1,2]},"segment":"a","status":"succeeded","memberCount":-3,"completedAt":null}}"#
        guard case .event(let event) = fast(line) else {
            Issue.record("expected an event")
            return
        }
        #expect(RuntimeValues.json(event.value).serialized().contains(#""data":{"segment":"a","status":"succeeded","memberCount":-3}"#))
        #expect(event.time == readTime)
    }
}
