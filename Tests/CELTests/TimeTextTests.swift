import Testing
@testable import CEL

@Suite struct TimeTextTests {
    @Test func rfc3339PrintsTheShortestExactFraction() throws {
        let cases: [(Int64, Int32, String)] = [
            (0, 0, "1970-01-01T00:00:00Z"),
            (1_234_567_890, 0, "2009-02-13T23:31:30Z"),
            (1_234_567_890, 120_000_000, "2009-02-13T23:31:30.120Z"),
            (1_234_567_890, 123_456_000, "2009-02-13T23:31:30.123456Z"),
            (1_234_567_890, 5, "2009-02-13T23:31:30.000000005Z"),
            (-1, 999_000_000, "1969-12-31T23:59:59.999Z"),
            (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
            (253_402_300_799, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
        ]
        for (seconds, nanos, text) in cases {
            let timestamp = try #require(CELTimestamp(seconds: seconds, nanos: nanos))
            #expect(timestamp.rfc3339 == text)
            #expect(CELTimestamp.parse(text) == timestamp)
        }
    }

    @Test func parsingFromBytesAgreesWithParsingText() {
        for text in ["2026-03-06T16:05:51Z", "2026-03-06t16:05:51.5+05:30", "2026-02-30T00:00:00Z", "2026-03-06T16:05:51", "2026-03-06T16:05:51.Z", ""] {
            var copy = text
            #expect(copy.withUTF8 { CELTimestamp.parse(utf8: $0) } == CELTimestamp.parse(text))
        }
        #expect(CELTimestamp.parse("2026-02-30T00:00:00Z") == nil)
        #expect(CELTimestamp.parse("2026-03-06t16:05:51.5+05:30") != nil)
    }
}
