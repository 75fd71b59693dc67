@testable import CEL
import Testing

@Suite struct OptionalTests {
    @Test func optionalSelectionGuardsAbsentFields() {
        let (environment, event, data) = eventEnvironment()
        let bound = ["event": sampleEvent(event, data)]
        #expect(literal(evaluate("event.data.?previousCount.orValue(0) + 1", in: environment, bound)) == "1")
        #expect(literal(evaluate("event.?subject.hasValue()", in: environment, bound)) == "false")
        #expect(literal(evaluate("event.?data.segment", in: environment, bound)) == #"optional.of("VIP Customers")"#)
        let withPrevious = ["event": sampleEvent(event, data, previous: 7)]
        #expect(literal(evaluate("event.data.?previousCount.orValue(0) + 1", in: environment, withPrevious)) == "8")
    }

    @Test func optionalTypesAreChecked() throws {
        let (environment, _, _) = eventEnvironment()
        let parsed = try CELParser.parse("event.data.?previousCount").get()
        #expect(environment.check(parsed).resultType == .optional(.int))
        #expect(issues("event.data.?previousCount.orValue('none')", in: environment).first?.code == .celNoMatchingOverload)
        #expect(issues("event.data.?previousCont", in: environment).first?.replacement == "previousCount")
    }

    @Test func optionalFunctions() {
        #expect(literal(evaluate("optional.of(1).value()")) == "1")
        #expect(literal(evaluate("optional.none().orValue(2)")) == "2")
        #expect(literal(evaluate("optional.ofNonZeroValue(0)")) == "optional.none()")
        #expect(literal(evaluate("[1, 2][?1]")) == "optional.of(2)")
        #expect(literal(evaluate("{'a': 1}[?'b'].or(optional.of(3))")) == "optional.of(3)")
        #expect(evaluate("optional.none().value()").isError)
        // The alternative is only evaluated when needed.
        #expect(literal(evaluate("optional.of(1).orValue(1 / 0)")) == "1")
    }
}
