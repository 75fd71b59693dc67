@testable import CEL
import Diagnostics

/// Parses, checks, compiles and evaluates `source` in `environment` with `bindings`.
func evaluate(_ source: String, in environment: CELEnvironment = CELEnvironment(), _ bindings: [String: CELValue] = [:]) -> CELValue {
    switch environment.compile(source) {
    case .success(let program):
        return program.evaluate(bindings, in: environment)
    case .failure(let issues):
        return .error(CELEvaluationError("compile: " + issues.issues.map(\.message).joined(separator: "; ")))
    }
}

/// The issues of parsing and checking `source`; empty when it is fine.
func issues(_ source: String, in environment: CELEnvironment = CELEnvironment()) -> [CELIssue] {
    switch environment.compile(source) {
    case .success: return []
    case .failure(let failure): return failure.issues
    }
}

/// The text a byte range of `source` covers.
func text(_ source: String, _ range: Range<Int>) -> String {
    SourceFile(path: "<expr>", text: source).text(range)
}

func literal(_ value: CELValue) -> String { CELLiteral.format(value) }

/// An environment with `event` typed like a segment event, data fields optional and required.
func eventEnvironment() -> (CELEnvironment, CELRecordType, CELRecordType) {
    let data = CELRecordType(name: "event.data", fields: [
        ("segment", .string, false),
        ("memberCount", .int, false),
        ("previousCount", .int, true),
    ])
    let event = CELRecordType(name: "event", fields: [
        ("id", .string, false),
        ("subject", .string, true),
        ("data", .record(data), false),
    ])
    var environment = CELEnvironment()
    environment.declare("event", type: .record(event))
    return (environment, event, data)
}

func sampleEvent(_ event: CELRecordType, _ data: CELRecordType, previous: Int64? = nil) -> CELValue {
    let payload = CELRecord(type: data, fields: [.string("VIP Customers"), .int(12_000), previous.map(CELValue.int)])
    return .record(CELRecord(type: event, fields: [.string("e-1"), nil, .record(payload)]))
}
