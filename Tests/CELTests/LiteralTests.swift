@testable import CEL
import Testing

@Suite struct LiteralTests {
    static let values: [CELValue] = [
        .null, .bool(true), .int(-7), .int(.min), .uint(7), .uint(.max),
        .double(1), .double(2.5e-08), .double(-0.0), .double(1e300), .double(.nan), .double(.infinity), .double(-.infinity),
        .string("a \"quoted\"\n string\t\\ \u{01}\u{7F} é 😀"), .bytes([0, 0xFF, 0x41]),
        .list([.int(1), .string("a")]),
        .timestamp(CELTimestamp(seconds: 1_234_567_890)!), .timestamp(CELTimestamp(seconds: -62_135_596_800, nanos: 1)!),
        .duration(CELDuration(seconds: 1, nanos: 500_000_000)!), .duration(CELDuration(seconds: -2, nanos: 500_000_000)!),
        .type(.int), .type(.list(.dyn)), .type(.timestamp), .type(.null), .type(.type(.dyn)),
    ]

    @Test(arguments: values)
    func printedLiteralsEvaluateBackToTheSameValue(value: CELValue) {
        let text = literal(value)
        let back = evaluate(text)
        #expect(!back.isError, "\(text)")
        if case .double(let number) = value, number.isNaN {
            guard case .double(let other) = back else {
                Issue.record("expected a double from \(text)")
                return
            }
            #expect(other.isNaN)
            return
        }
        #expect(CELValue.equal(value, back), "\(text) read back as \(literal(back))")
        #expect(literal(back) == text)
    }

    @Test func formatsFromTheSpec() {
        #expect(literal(.uint(7)) == "7u")
        #expect(literal(.double(1)) == "1.0")
        #expect(literal(.double(2.5e-08)) == "2.5e-08")
        #expect(literal(.double(.nan)) == #"double("NaN")"#)
        #expect(literal(.string("a \"quoted\"\n string")) == #""a \"quoted\"\n string""#)
        #expect(literal(.bytes([0, 255])) == #"b"\x00\xff""#)
        #expect(literal(.timestamp(CELTimestamp(seconds: 1_234_567_890)!)) == #"timestamp("2009-02-13T23:31:30Z")"#)
        #expect(literal(.duration(CELDuration(seconds: 1, nanos: 500_000_000)!)) == #"duration("1.5s")"#)
        #expect(literal(evaluate("{'k': 1}")) == #"{"k": 1}"#)
        #expect(literal(evaluate("type(timestamp(0))")) == "google.protobuf.Timestamp")
    }

    @Test func stringOfDoubleFollowsGoFormatting() {
        #expect(CELConversions.formatDouble(123.456) == "123.456")
        #expect(CELConversions.formatDouble(-4.5e-3) == "-0.0045")
        #expect(CELConversions.formatDouble(1_000_000) == "1e+06")
        #expect(CELConversions.formatDouble(1.5e-7) == "1.5e-07")
        #expect(CELConversions.formatDouble(100) == "100")
    }
}

extension CELValue: CustomTestStringConvertible {
    public var testDescription: String { CELLiteral.format(self) }
}
