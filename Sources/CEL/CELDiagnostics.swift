import Diagnostics

extension DiagnosticCode {
    public static let celSyntax = DiagnosticCode("FC0200")
    public static let celUnknownIdentifier = DiagnosticCode("FC0201")
    public static let celUnknownField = DiagnosticCode("FC0202")
    public static let celUnknownFunction = DiagnosticCode("FC0203")
    public static let celNoMatchingOverload = DiagnosticCode("FC0204")
    public static let celOperandMismatch = DiagnosticCode("FC0205")
    public static let celArgumentCount = DiagnosticCode("FC0206")
    public static let celTooDeep = DiagnosticCode("FC0207")
    public static let celTooLong = DiagnosticCode("FC0208")
    public static let celIntegerRange = DiagnosticCode("FC0209")
    public static let celReservedWord = DiagnosticCode("FC0210")
    public static let celInvalidMacro = DiagnosticCode("FC0211")
    public static let celUnsupported = DiagnosticCode("FC0212")
    public static let celTypeMismatch = DiagnosticCode("FC0213")
    public static let celEvaluation = DiagnosticCode("FC0214")
}

/// The explanations behind the CEL codes, for `flowc explain`.
public enum CELDiagnostics {
    public static let explanations: [Explanation] = [
        Explanation(
            .celSyntax, name: "cel-syntax",
            summary: "the expression is not valid CEL syntax",
            details: "The expression could not be parsed. The message says what the parser expected at the marked position: a closing bracket, an operand after an operator, a valid escape in a string.",
            wrong: "event.data.memberCount >",
            right: "event.data.memberCount > 1000"),
        Explanation(
            .celUnknownIdentifier, name: "unknown-identifier",
            summary: "a name in the expression is not declared",
            details: "Only the names in scope (`event`, `trigger`, `vars`, `actions`, `env`, `secrets`, `now`, `flow`, and macro variables) can be used. A close match is suggested.",
            wrong: "evnt.data.segment == \"VIP\"",
            right: "event.data.segment == \"VIP\""),
        Explanation(
            .celUnknownField, name: "unknown-field",
            summary: "a record has no field of that name",
            details: "Field selections are checked against the declared record type of the operand: event data, trigger parameters, variables and action outputs all have known fields. A close match is suggested.",
            wrong: "event.data.membercount > 10",
            right: "event.data.memberCount > 10"),
        Explanation(
            .celUnknownFunction, name: "unknown-function",
            summary: "no function of that name exists",
            details: "CEL's standard functions (`size`, `contains`, `startsWith`, `matches`, `int`, `timestamp`, `getHours`, ...) are available; a close match is suggested. Method-style functions are called on their receiver: `name.startsWith(\"a\")`.",
            wrong: "event.data.segment.startWith(\"VIP\")",
            right: "event.data.segment.startsWith(\"VIP\")"),
        Explanation(
            .celNoMatchingOverload, name: "no-matching-overload",
            summary: "a function is called with argument types it does not accept",
            details: "Each CEL function has a fixed set of signatures. Convert the argument (`int(x)`, `string(x)`, `double(x)`) or call the function on the right receiver.",
            wrong: "size(42)",
            right: "size(\"42\")"),
        Explanation(
            .celOperandMismatch, name: "operand-mismatch",
            summary: "an operator is applied to operands of types it does not combine",
            details: "CEL does not convert implicitly: `int + double`, `string + int` and `timestamp < string` are errors. Both operand types are named; convert one of them explicitly.",
            wrong: "event.data.memberCount + 0.5",
            right: "double(event.data.memberCount) + 0.5"),
        Explanation(
            .celArgumentCount, name: "argument-count",
            summary: "a function or macro is called with the wrong number of arguments",
            details: "The message names how many arguments the function takes.",
            wrong: "\"abc\".startsWith()",
            right: "\"abc\".startsWith(\"a\")"),
        Explanation(
            .celTooDeep, name: "expression-too-deep",
            summary: "the expression is nested too deeply",
            details: "Expressions may nest at most 250 levels (parentheses, operators, calls). Deeper expressions are rejected so that checking and evaluation stay bounded; split the expression into variables.",
            wrong: "((((((((((...1...))))))))))  (more than 250 levels)",
            right: "1"),
        Explanation(
            .celTooLong, name: "expression-too-long",
            summary: "the expression text is longer than allowed",
            details: "An expression may be at most 100,000 bytes long. Move data into variables or the event instead of writing it inline.",
            wrong: "[1, 2, 3, ... 100,000 bytes ...]",
            right: "vars.thresholds"),
        Explanation(
            .celIntegerRange, name: "integer-literal-range",
            summary: "an integer literal does not fit its type",
            details: "`int` literals range from -9223372036854775808 to 9223372036854775807, `uint` literals (suffix `u`) from 0 to 18446744073709551615.",
            wrong: "9223372036854775808",
            right: "9223372036854775808u"),
        Explanation(
            .celReservedWord, name: "reserved-word",
            summary: "a reserved word is used as a name",
            details: "`true`, `false`, `null` and `in` are keywords and cannot be names or field names; `as`, `break`, `const`, `continue`, `else`, `for`, `function`, `if`, `import`, `let`, `loop`, `package`, `namespace`, `return`, `var`, `void` and `while` are reserved and cannot be variable or function names. Use map indexing for such keys: `m[\"in\"]`.",
            wrong: "vars.in",
            right: "vars[\"in\"]"),
        Explanation(
            .celInvalidMacro, name: "invalid-macro",
            summary: "a macro is called with arguments of the wrong shape",
            details: "`has()` takes a field selection (`has(a.b)`); `all`, `exists`, `exists_one`, `map` and `filter` take a variable name first (`list.all(x, x > 0)`).",
            wrong: "has(event)",
            right: "has(event.subject)"),
        Explanation(
            .celUnsupported, name: "unsupported-cel-feature",
            summary: "the expression uses a CEL feature flowc does not support",
            details: "Protocol-buffer message construction (`Type{field: value}`), enums and containers are not part of flowc. Use map literals instead.",
            wrong: "Result{code: 1}",
            right: "{\"code\": 1}"),
        Explanation(
            .celTypeMismatch, name: "type-mismatch",
            summary: "an expression does not have the type its place requires",
            details: "Some places require a particular type: a condition must be `bool`, a map key must be `int`, `uint`, `bool` or `string`, the branches of `?:` must agree. The message names the expected and the found type.",
            wrong: "event.data.memberCount ? 1 : 2",
            right: "event.data.memberCount > 0 ? 1 : 2"),
        Explanation(
            .celEvaluation, name: "evaluation-error",
            summary: "an expression failed while it was evaluated",
            details: "Some failures can only be seen with real values: division by zero, integer overflow, an index out of range, a missing map key, an optional field that is not set, an invalid timestamp text. Guard the expression (`has(x.f)`, `x.?f.orValue(d)`, `size(l) > i`, `k in m`) so that it cannot fail.",
            wrong: "event.data.rowCount / event.data.failedCount",
            right: "event.data.failedCount == 0 ? 0 : event.data.rowCount / event.data.failedCount"),
    ]
}
