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

    private func segmentLine(data: String, extra: String = "") -> String {
        #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh"\#(extra),"data":\#(data)}"#
    }

    /// Lines the fast path must leave to the checked path; it never accepts them itself.
    @Test func validationFallsBackWhereTheBuilderWould() {
        let cases = [
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":9223372036854775808}"#),
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":1,"memberCount":2}"#),
            segmentLine(data: #"{"segment":"a\tb","status":"s","memberCount":1}"#),
            segmentLine(data: "{\"segment\":\"abcdefghij\u{01}\",\"status\":\"s\",\"memberCount\":1}"),
            segmentLine(data: #"{"s\#u{e9}gment":"a","segment":"a","status":"s","memberCount":1}"#),
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":1,"completedAt":"yesterday"}"#),
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":012}"#),
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":1"#),
            #"{"specversion":"1.0","id":"1","source":"/s","type":"segment.refresh"}"#,
            #"{"specversion":"1.1","id":"1","source":"/s","type":"segment.refresh","data":{}}"#,
            #"{"specversion":"1.0","id":"","source":"/s","type":"segment.refresh","data":{}}"#,
            #"{}"#,
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":1,"unknown":1e999}"#),
        ]
        for line in cases {
            if case .event = fast(line) { Issue.record("should fall back: \(line)") }
        }
    }

    @Test func validatedLinesDecodeAsTheCheckedPathDoes() {
        let cases = [
            segmentLine(data: #"{"segment":"Ventes été 🚀","status":"s","memberCount":-9223372036854775808}"#),
            segmentLine(data: #"{"memberCount":0,"unknown":{"a":["x\"y",1.5e30,null]},"status":"s","segment":"a"}"#),
            segmentLine(data: #"{ "segment" : "a" , "status" : "s" , "memberCount" : -0 , "completedAt" : "2026-03-06T16:00:00.5+01:00" }"#),
            segmentLine(data: #"{"segment":"a","status":"s","memberCount":1}"#, extra: #","ext":{"k":[1,2]},"subject":"x""#),
            #"{"data":{"segment":"a","status":"s","memberCount":1},"type":"segment.refresh","id":"1","source":"/s","specversion":"1.0"}"#,
            #"{"specversion":"1.0","id":"1","source":"/s","type":"crm.consent.granted","data":{"b":[true,false,null],"a":{"x":1.5},"c":"é"}}"#,
        ]
        for line in cases {
            switch (fast(line), slow(line)) {
            case (.event(let a), .event(let b)):
                #expect(RuntimeValues.json(a.value).serialized() == RuntimeValues.json(b.value).serialized(), "\(line)")
            case (let fastOutcome, let slowOutcome):
                Issue.record("\(line): fast \(fastOutcome), checked \(slowOutcome)")
            }
        }
    }

    @Test func utf8ValidationFollowsRFC3629() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { JSONScanner.isValidUTF8($0) } }
        #expect(valid(Array("aé€🚀".utf8)))
        #expect(!valid([0xC0, 0x80]), "overlong")
        #expect(!valid([0xE0, 0x80, 0x80]), "overlong")
        #expect(!valid([0xED, 0xA0, 0x80]), "surrogate")
        #expect(!valid([0xF4, 0x90, 0x80, 0x80]), "above U+10FFFF")
        #expect(!valid([0xF0, 0x9F, 0x98]), "truncated")
        #expect(!valid([0x80]), "lone continuation")
        #expect(!valid([0xE2, 0x28, 0xA1]), "bad continuation")
    }

    /// The 8-byte skip stops at every special byte, wherever it falls in a word.
    @Test func stringsEndAtTheirQuoteWhereverItFalls() {
        for length in 0..<20 {
            let text = String(repeating: "x", count: length)
            var line = "\"\(text)\",\"next\""
            let range = line.withUTF8 { bytes -> Range<Int>? in
                var scanner = JSONScanner(bytes: bytes)
                return scanner.stringContent()
            }
            #expect(range == 1..<(1 + length))
            func content(_ line: String) -> Range<Int>? {
                var line = line
                return line.withUTF8 { bytes in
                    var scanner = JSONScanner(bytes: bytes)
                    return scanner.stringContent()
                }
            }
            #expect(content("\"\(text)\\n\"") == nil)
            #expect(content("\"\(text)\u{01}x\"") == nil)
            #expect(content("\"\(text)é\u{A2}\"\",") == 1..<(1 + length + 4))
            #expect(content("\"\(text)") == nil)
        }
    }
}
