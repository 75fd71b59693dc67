import Diagnostics

/// The codes of expressions inside flows, FC0250–FC0299 (SPEC 4.2–4.4).
extension DiagnosticCode {
    public static let typeConditionNotBool = DiagnosticCode("FC0250")
    public static let typeValueMismatch = DiagnosticCode("FC0251")
    public static let typeTemplateNotPrintable = DiagnosticCode("FC0252")
    public static let typeItemsNotList = DiagnosticCode("FC0253")
    public static let typeSwitchOn = DiagnosticCode("FC0254")
    public static let typeUnknownVar = DiagnosticCode("FC0255")
    public static let typeSetMismatch = DiagnosticCode("FC0256")
    public static let typeCaseNeverMatches = DiagnosticCode("FC0257")
    public static let typeCatalogExpression = DiagnosticCode("FC0258")
    public static let typeUnguardedOptional = DiagnosticCode("FC0260")
    public static let typeUnusedVar = DiagnosticCode("FC0261")
    public static let typeConstantCondition = DiagnosticCode("FC0262")
    public static let typeNeverRuns = DiagnosticCode("FC0263")
}

/// Explanations of the codes of expressions inside flows, for `flowc explain`.
public enum FlowTypingDiagnostics {
    public static let explanations: [Explanation] = [
        Explanation(
            .typeConditionNotBool, name: "condition-not-bool",
            summary: "a condition is not a `bool` expression",
            details: """
                `conditions:` items, `if:` and the `condition` of an `if` action decide between running \
                and not running, so they must be of type `bool`. Compare the value with something \
                instead of using it as it is; CEL has no truthiness.
                """,
            wrong: "conditions:\n  - event.data.memberCount",
            right: "conditions:\n  - event.data.memberCount > 0"),
        Explanation(
            .typeValueMismatch, name: "value-type-mismatch",
            summary: "a whole `${{ }}` value has a type its place does not accept",
            details: """
                A scalar that is exactly `${{ EXPR }}` keeps the type of EXPR, and that type must fit \
                the catalog type of the input it stands in. Convert the value (`string(x)`, `int(x)`), \
                or wrap it in a list when a list is expected.
                """,
            wrong: "with:\n  url: https://example.com\n  expect: ${{ 200 }}",
            right: "with:\n  url: https://example.com\n  expect: ${{ [200, 201] }}"),
        Explanation(
            .typeTemplateNotPrintable, name: "template-not-printable",
            summary: "an expression in a string template has a type that cannot be printed",
            details: """
                Text around `${{ }}` makes a string template; each expression in it must be a string, \
                bool, int, uint, double, timestamp or duration, formatted as CEL's `string()` does. \
                Lists, maps, records and optionals have no text form: join or pick the part you want.
                """,
            wrong: "message: \"scope: ${{ event.data.scope }}\"",
            right: "message: \"scope: ${{ size(event.data.scope) }} kinds\""),
        Explanation(
            .typeItemsNotList, name: "foreach-items-not-list",
            summary: "`foreach` `items` is not a list",
            details: "A `foreach` runs its `do` list once per element of `items`, which must be a list.",
            wrong: "- type: foreach\n  items: ${{ event.data.status }}\n  do: [{type: log, with: {message: x}}]",
            right: "- type: foreach\n  items: ${{ event.data.stages }}\n  do: [{type: log, with: {message: x}}]"),
        Explanation(
            .typeSwitchOn, name: "switch-on-type",
            summary: "`switch` `on` is neither a string nor an int",
            details: "A `switch` compares `on` with the case keys, which are strings or integers, so `on` must be a `string` or an `int`.",
            wrong: "- type: switch\n  on: ${{ event.data.stages }}",
            right: "- type: switch\n  on: ${{ event.data.status }}"),
        Explanation(
            .typeUnknownVar, name: "set-unknown-var",
            summary: "`set` names a var that is not declared",
            details: "A `set` action replaces the value of a var declared in `vars:`; it cannot create one. Declare the var with its initial value.",
            wrong: "vars:\n  count: 0\nactions:\n  - type: set\n    with: {var: cuont, value: 1}",
            right: "vars:\n  count: 0\nactions:\n  - type: set\n    with: {var: count, value: 1}"),
        Explanation(
            .typeSetMismatch, name: "set-type-mismatch",
            summary: "`set` gives a var a value of another type",
            details: "A var keeps the type of its declaration; `set` must give it a value of the same type. Convert the value or change the declaration.",
            wrong: "vars:\n  count: 0\nactions:\n  - type: set\n    with: {var: count, value: \"one\"}",
            right: "vars:\n  count: 0\nactions:\n  - type: set\n    with: {var: count, value: 1}"),
        Explanation(
            .typeCaseNeverMatches, name: "switch-case-never-matches",
            summary: "a `switch` case can never equal the `on` value",
            details: "When `on` is an `int`, each case key must be an integer; a word can never be equal to an int.",
            wrong: "on: ${{ event.data.memberCount }}\ncases:\n  many: [...]",
            right: "on: ${{ event.data.memberCount }}\ncases:\n  \"0\": [...]"),
        Explanation(
            .typeCatalogExpression, name: "catalog-expression",
            summary: "an expression of the catalog does not check in this flow",
            details: "A catalog trigger lowers to expressions written in the catalog; one of them failed to check. This is a fault of the catalog, not of the flow: report it.",
            wrong: "(a catalog trigger whose filter names an unknown field)",
            right: "(the catalog fixed)"),
        Explanation(
            .typeUnguardedOptional, name: "unguarded-optional-field", severity: .warning,
            summary: "an optional field is read without a `has()` guard",
            details: """
                Fields marked `?` in the catalog (event data, `actions.ID.output`, `actions.ID.error`) \
                may be absent; reading an absent field is an evaluation error at run time. Guard the \
                read with `has(x.f) && ...`, `has(x.f) ? ... : ...`, a flow condition \
                `has(x.f)`, or read it as an optional: `x.?f.orValue(default)`. \
                Silence it with `# flowc-ignore FC0260` on the line or the line before.
                """,
            wrong: "conditions:\n  - event.data.rowCount > 0",
            right: "conditions:\n  - has(event.data.rowCount) && event.data.rowCount > 0"),
        Explanation(
            .typeUnusedVar, name: "unused-var", severity: .warning,
            summary: "a var is declared but never read",
            details: "No expression reads `vars.NAME`; computing it is wasted work, or an expression reads the wrong var. Remove it or use it. `set` on a var is not a read.",
            wrong: "vars:\n  headline: \"x\"\nactions:\n  - type: log\n    with: {message: hello}",
            right: "vars:\n  headline: \"x\"\nactions:\n  - type: log\n    with: {message: \"${{ vars.headline }}\"}"),
        Explanation(
            .typeConstantCondition, name: "constant-condition", severity: .warning,
            summary: "a condition reads nothing and is always the same",
            details: "A condition without any reference to `event`, `trigger`, `vars`, `actions`, `now`, `env` or loop variables has the same value in every run: it is a left-over or a mistake.",
            wrong: "conditions:\n  - 1 < 2",
            right: "conditions:\n  - event.data.memberCount < 2"),
        Explanation(
            .typeNeverRuns, name: "action-never-runs", severity: .warning,
            summary: "an action can never run",
            details: """
                The action's `if:` is always false, or its `run_after` waits for statuses that the \
                named action can never end in (only actions with a timeout can end `timed_out`; an \
                action whose `if:` is always false always ends `skipped`).
                """,
            wrong: "- id: a\n  type: log\n  with: {message: x}\n- type: log\n  run_after: {a: [timed_out]}\n  with: {message: y}",
            right: "- id: a\n  type: log\n  with: {message: x}\n- type: log\n  run_after: {a: [failed]}\n  with: {message: y}"),
    ]
}
