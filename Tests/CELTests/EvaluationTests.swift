@testable import CEL
import Testing

@Suite struct EvaluationTests {
    @Test func recordFieldsAndHas() {
        let (environment, event, data) = eventEnvironment()
        let bound = ["event": sampleEvent(event, data)]
        #expect(literal(evaluate("event.data.memberCount > 1000 && event.data.segment.startsWith('VIP')", in: environment, bound)) == "true")
        #expect(literal(evaluate("has(event.data.previousCount)", in: environment, bound)) == "false")
        #expect(literal(evaluate("has(event.subject) ? event.subject : 'none'", in: environment, bound)) == #""none""#)
        #expect(evaluate("event.data.previousCount + 1", in: environment, bound).isError)
        let withPrevious = ["event": sampleEvent(event, data, previous: 7)]
        #expect(literal(evaluate("event.data.previousCount + 1", in: environment, withPrevious)) == "8")
    }

    @Test func errorsAreAbsorbedByLogicalOperators() {
        #expect(literal(evaluate("1 / 0 == 1 || true")) == "true")
        #expect(literal(evaluate("false && 1 / 0 == 1")) == "false")
        #expect(evaluate("true && 1 / 0 == 1").isError)
        #expect(literal(evaluate("[0, 1].exists(x, 1 / x == 1)")) == "true")
    }

    @Test func overflowIsAnError() {
        #expect(evaluate("9223372036854775807 + 1").isError)
        #expect(evaluate("0u - 1u").isError)
        #expect(evaluate("-(-9223372036854775808)", in: CELEnvironment()).isError)
    }

    @Test func costBudgetStopsRunawayComprehensions() {
        var environment = CELEnvironment()
        environment.costLimit = 10_000
        let list = "[" + (0..<50).map(String.init).joined(separator: ", ") + "]"
        let nested = "\(list).map(a, \(list).map(b, \(list).map(c, a + b + c)))"
        guard case .error(let error) = evaluate(nested, in: environment) else {
            Issue.record("expected a budget error")
            return
        }
        #expect(error.message.contains("cost budget"))
        #expect(!evaluate("\(list).map(a, a * 2)", in: environment).isError)
    }

    @Test func costBudgetStopsStringGrowth() {
        var environment = CELEnvironment()
        environment.costLimit = 100_000
        environment.declare("s", type: .string)
        let list = "[" + (0..<1000).map(String.init).joined(separator: ", ") + "]"
        let value = evaluate("\(list).map(x, s + s + s).size()", in: environment, ["s": .string(String(repeating: "x", count: 1000))])
        guard case .error(let error) = value else {
            Issue.record("expected a budget error")
            return
        }
        #expect(error.message.contains("cost budget"))
    }

    @Test func timeZonesAndGetters() {
        let source = "timestamp('2009-02-13T23:31:30Z')"
        #expect(literal(evaluate("\(source).getHours('+05:30')")) == "5")
        #expect(literal(evaluate("\(source).getMinutes('+05:30')")) == "1")
        #expect(literal(evaluate("\(source).getDayOfWeek()")) == "5")
        #expect(literal(evaluate("\(source).getHours('America/Los_Angeles')")) == "15")
        #expect(literal(evaluate("timestamp('0001-01-01T00:00:00Z').getFullYear()")) == "1")
        #expect(evaluate("timestamp('0001-01-01T00:00:00Z') - duration('1s')").isError)
        #expect(evaluate("\(source).getHours('Not/AZone')").isError)
    }

    @Test func stringsCompareByCodePoint() {
        #expect(literal(evaluate(#"'caf\u00e9' == 'cafe\u0301'"#)) == "false")
        #expect(literal(evaluate(#"{'caf\u00e9': 1}[ 'cafe\u0301' ] == 1"#, in: CELEnvironment())).hasPrefix("error") || evaluate(#"{'caf\u00e9': 1}['cafe\u0301']"#).isError)
        #expect(literal(evaluate(#"'cafe\u0301'.startsWith('cafe')"#)) == "true")
    }

    @Test func uncheckedProgramsDispatchDynamically() throws {
        let environment = CELEnvironment()
        let parsed = try CELParser.parse("1 == 1.0 && [1] == [1u]").get()
        #expect(!environment.check(parsed).issues.isEmpty)
        let program = environment.uncheckedProgram(for: parsed)
        #expect(literal(program.evaluate(CELActivation(environment: environment))) == "true")
    }

    @Test func evaluationErrorsPointAtTheFailingSubexpression() throws {
        let source = "1 + [1, 2][5] * 2"
        guard case .error(let error) = evaluate(source) else {
            Issue.record("expected an error")
            return
        }
        let issue = try #require(error.issue)
        #expect(issue.code == .celEvaluation)
        #expect(text(source, issue.range) == "[1, 2][5]")
        let (environment, event, data) = eventEnvironment()
        let fieldSource = "event.data.previousCount > 1"
        guard case .error(let fieldError) = evaluate(fieldSource, in: environment, ["event": sampleEvent(event, data)]) else {
            Issue.record("expected an error")
            return
        }
        #expect(fieldError.range.map { text(fieldSource, $0) } == "event.data.previousCount")
    }

    @Test func unboundVariableIsAnEvaluationError() {
        var environment = CELEnvironment()
        environment.declare("x", type: .int)
        guard case .error(let error) = evaluate("x + 1", in: environment) else {
            Issue.record("expected an error")
            return
        }
        #expect(error.message == "no value bound to `x`")
    }
}
