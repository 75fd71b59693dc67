import Diagnostics

/// The explanations of the flow-structure codes, for `flowc explain` and SARIF rules. Every
/// wrong example gives its code and every right example lints clean (a test checks both).
public enum FlowDiagnostics {
    public static let explanations: [Explanation] = [
        Explanation(
            .flowDocumentNotMapping, name: "document-not-mapping",
            summary: "A flow document must be a mapping.",
            details: """
                Every YAML document (separated by `---`) of a flow file is one flow, written as a \
                mapping with the keys `flow`, `trigger` and `actions` (and optionally `description`, \
                `enabled`, `concurrency`, `conditions` and `vars`). A document that is a sequence or \
                a lone scalar is not a flow. Empty documents are ignored.
                """,
            wrong: """
                - flow: sales-alerts
                  trigger: { type: datasource.refresh.failed }
                  actions: [{ id: note, type: log, with: { message: refresh failed } }]

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions: [{ id: note, type: log, with: { message: refresh failed } }]

                """),
        Explanation(
            .flowMissingKey, name: "missing-key",
            summary: "A required key is missing.",
            details: """
                Flows need `flow`, `trigger` and `actions`; a trigger needs `type` and the \
                parameters its catalog entry requires; an action needs `type` and a `with` holding \
                its required inputs; a control action needs the keys of its type (`condition` and \
                `then` for `if`, `items` and `do` for `foreach`, ...).
                """,
            wrong: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """,
            right: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: 10000
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """),
        Explanation(
            .flowUnknownKey, name: "unknown-key",
            summary: "A key that the flow, trigger, action or control action does not have.",
            details: """
                A misspelled key would otherwise be ignored silently, so every key is checked \
                against the catalog. The message names the nearest valid key, and the fix-it \
                replaces it.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - id: note
                    type: log
                    run_afer: { call: [failed] }
                    with: { message: the webhook failed }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - id: note
                    type: log
                    run_after: { call: [failed] }
                    with: { message: the webhook failed }

                """),
        Explanation(
            .flowWrongKind, name: "wrong-kind",
            summary: "A value has the wrong shape: a sequence where a mapping belongs, a scalar where a list belongs.",
            details: """
                Each key takes one kind of YAML value: a mapping (`trigger`, `with`, `retry`), a \
                sequence (`actions`, `conditions`, `then`), or a scalar of some type. Check the \
                indentation: a missing or stray `-` changes the kind.
                """,
            wrong: """
                flow: sales-alerts
                trigger:
                  - type: datasource.refresh.failed
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                trigger:
                  type: datasource.refresh.failed
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowInvalidBool, name: "yaml11-boolean",
            summary: "`yes`, `no`, `on` and `off` are not booleans in flowc.",
            details: """
                YAML 1.1 reads `yes`, `no`, `on`, `off`, `y` and `n` as booleans; YAML 1.2 and most \
                tools do not. To keep one meaning, flowc takes only `true` and `false` as booleans.
                """,
            wrong: """
                flow: sales-alerts
                enabled: yes
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                enabled: true
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowInvalidNumber, name: "invalid-number",
            summary: "A number or an integer was expected.",
            details: """
                Numbers are plain decimal scalars (`10000`, `0.5`, `1e6`); integers have no \
                fraction. Quoted numbers are strings, and words such as `ten` are not numbers.
                """,
            wrong: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: ten thousand
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """,
            right: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: 10000
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """),
        Explanation(
            .flowNumberOutOfRange, name: "number-out-of-range",
            summary: "A number does not fit: integers are 64-bit, numbers are finite doubles.",
            details: """
                Integers lie between -9223372036854775808 and 9223372036854775807, numbers must \
                be finite doubles, and non-negative integers must not be negative.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    with: { url: "https://example.com/hook", expect: [99999999999999999999] }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    with: { url: "https://example.com/hook", expect: [200, 202] }

                """),
        Explanation(
            .flowInvalidEnumValue, name: "invalid-enum-value",
            summary: "A value must be one of a fixed set of words.",
            details: """
                Keys such as `concurrency`, `direction`, `status`, `level`, `method`, `backoff` \
                and the statuses of `run_after` take one of a fixed set of words, written exactly \
                (case matters). The message suggests the nearest one.
                """,
            wrong: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: 10000
                  direction: upward
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """,
            right: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: 10000
                  direction: up
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """),
        Explanation(
            .flowInvalidDuration, name: "invalid-duration",
            summary: "A duration is written `250ms`, `10s`, `1m30s` or `2h`.",
            details: """
                A duration is one or more groups of digits followed by a unit, `h`, `m`, `s` or \
                `ms`, from the largest unit to the smallest, each unit at most once, without \
                spaces, signs or fractions (`1500ms`, not `1.5s`).
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    timeout: 10 seconds
                    with: { url: "https://example.com/hook" }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    timeout: 10s
                    with: { url: "https://example.com/hook" }

                """),
        Explanation(
            .flowInvalidName, name: "invalid-flow-name",
            summary: "Flow names are written `[a-z0-9][a-z0-9._-]*`.",
            details: """
                A flow's name appears in run records, emitted events and command lines, so it is \
                restricted to lower-case letters, digits, `.`, `_` and `-`, starting with a letter \
                or a digit.
                """,
            wrong: """
                flow: Sales Alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowDuplicateName, name: "duplicate-flow-name",
            summary: "Two flows have the same name.",
            details: """
                Flow names identify flows in the run history and the state store, so they must \
                be unique across all files linted together. The note points at the first flow \
                with the name.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions: [{ id: note, type: log, with: { message: refresh failed } }]
                ---
                flow: sales-alerts
                trigger: { type: datasource.refresh.succeeded }
                actions: [{ id: note, type: log, with: { message: refresh done } }]

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions: [{ id: note, type: log, with: { message: refresh failed } }]
                ---
                flow: sales-refreshed
                trigger: { type: datasource.refresh.succeeded }
                actions: [{ id: note, type: log, with: { message: refresh done } }]

                """),
        Explanation(
            .flowUnknownTrigger, name: "unknown-trigger",
            summary: "The trigger type is not in the catalog.",
            details: """
                `trigger.type` names one of the catalog's triggers: `datasource.refresh.failed`, \
                `datasource.refresh.succeeded`, `segment.threshold.crossed`, \
                `measure.threshold.crossed`, `refresh.completed`, `unification.completed`, or the \
                generic `event` for any other CloudEvent type.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failure }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowUnknownActionType, name: "unknown-action-type",
            summary: "The action type is neither an action nor a control action of the catalog.",
            details: """
                Actions are `http`, `emit`, `log`, `set` and `fail`; control actions are `if`, \
                `switch`, `foreach`, `parallel`, `scope` and `terminate`.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: logg, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowInvalidIdentifier, name: "invalid-identifier",
            summary: "Action ids, variable names and loop variables must be identifiers.",
            details: """
                These names are read in expressions (`actions.notify_sales.status`, `vars.total`, \
                `item`), so they use ASCII letters, digits and `_`, do not start with a digit, and \
                are not reserved words of CEL (`in`, `as`, `loop`, ...). A `-` would read as a \
                minus sign.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: notify-sales, type: log, with: { message: refresh failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: notify_sales, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowDuplicateActionID, name: "duplicate-action-id",
            summary: "Two actions of one flow have the same id.",
            details: """
                Ids name actions in `run_after` and in `actions.ID`, so they must be unique within \
                the flow, nested action lists included. The note points at the first use.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }
                  - { id: note, type: log, with: { message: tell someone } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }
                  - { id: reminder, type: log, with: { message: tell someone } }

                """),
        Explanation(
            .flowUnknownRunAfterTarget, name: "unknown-run-after-target",
            summary: "`run_after` names an action that does not exist.",
            details: """
                Each key of `run_after` is the id of another action of the flow. The message \
                suggests the nearest id in scope.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: note, type: log, run_after: { cal: [failed] }, with: { message: call failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: note, type: log, run_after: { call: [failed] }, with: { message: call failed } }

                """),
        Explanation(
            .flowRunAfterSelf, name: "run-after-self",
            summary: "An action cannot run after itself.",
            details: "An action waiting for its own end would never start. Name the action it should follow instead.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: note, type: log, run_after: { note: [failed] }, with: { message: call failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: note, type: log, run_after: { call: [failed] }, with: { message: call failed } }

                """),
        Explanation(
            .flowRunAfterOutOfScope, name: "run-after-out-of-scope",
            summary: "`run_after` names an action that is not in scope.",
            details: """
                A nested action list (of `if`, `switch`, `foreach`, `parallel` or `scope`) is a \
                scope: its actions may wait for their siblings and for actions written before the \
                enclosing control action, but not for actions inside another nested list, nor for \
                actions after the enclosing control action, nor for the control action itself. To \
                react to a failure inside a nested list, wait for the control action (a `scope` \
                fails when something inside it failed).
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: guarded
                    type: scope
                    do:
                      - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: recover, type: log, run_after: { call: [failed] }, with: { message: call failed } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: guarded
                    type: scope
                    do:
                      - { id: call, type: http, with: { url: "https://example.com/hook" } }
                  - { id: recover, type: log, run_after: { guarded: [failed] }, with: { message: call failed } }

                """),
        Explanation(
            .flowRunAfterCycle, name: "run-after-cycle",
            summary: "Actions wait for each other in a cycle.",
            details: """
                Following `run_after` (and the implicit "after the previous action") leads back to \
                where it started, so none of the actions in the cycle can ever run. The message \
                lists the cycle in order: each action waits for the next.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: first, type: log, run_after: { second: [succeeded] }, with: { message: one } }
                  - { id: second, type: log, with: { message: two } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: first, type: log, with: { message: one } }
                  - { id: second, type: log, with: { message: two } }

                """),
        Explanation(
            .flowEmptyActions, name: "empty-actions",
            summary: "A flow needs at least one action.",
            details: "A flow without actions would fire and do nothing. Add an action, or set `enabled: false` while you work on it.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions: []

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowEmptyNestedList, name: "empty-nested-list", severity: .warning,
            summary: "A nested action list, case list or branch list is empty.",
            details: "An empty `then`, `else`, `do`, `cases`, case or `branches` does nothing; remove it or add actions.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: check
                    type: if
                    condition: event.data.status == "failed"
                    then: []

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: check
                    type: if
                    condition: event.data.status == "failed"
                    then:
                      - { id: note, type: log, with: { message: refresh failed } }

                """),
        Explanation(
            .flowExclusiveInputs, name: "exclusive-inputs",
            summary: "Inputs that exclude each other were given together.",
            details: "Some inputs are alternatives: an `http` action sends either `json` or `body`, not both.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    with: { url: "https://example.com/hook", json: { text: failed }, body: failed }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    with: { url: "https://example.com/hook", json: { text: failed } }

                """),
        Explanation(
            .flowInvalidRetry, name: "invalid-retry",
            summary: "A retry policy that cannot work.",
            details: """
                `retry.attempts` counts every try including the first, so it is at least 1; \
                `max_delay` may not be shorter than `delay`.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    retry: { attempts: 0 }
                    with: { url: "https://example.com/hook" }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    retry: { attempts: 3, backoff: exponential, delay: 1s, max_delay: 30s }
                    with: { url: "https://example.com/hook" }

                """),
        Explanation(
            .flowUnterminatedExpression, name: "unterminated-expression",
            summary: "`${{` without a closing `}}`.",
            details: "An expression in a value starts with `${{` and ends with `}}`. To write a literal `${{`, write `$${{`.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: "${{ event.data.datasource failed" } }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - { id: note, type: log, with: { message: "${{ event.data.datasource }} failed" } }

                """),
        Explanation(
            .flowEmptyExpression, name: "empty-expression",
            summary: "An expression is empty.",
            details: "`${{ }}` with nothing inside, or a condition key without a value, has nothing to evaluate.",
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: note
                    type: log
                    if:
                    with: { message: refresh failed }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: note
                    type: log
                    if: event.data.status == "failed"
                    with: { message: refresh failed }

                """),
        Explanation(
            .flowMisplacedExpression, name: "misplaced-expression",
            summary: "`${{ }}` where it is not evaluated, or inside a bare expression.",
            details: """
                Trigger parameters and other literal keys are read before any event exists, so \
                they take literal values only. Conditions (`conditions`, `if`, `condition`, a \
                trigger's `filter`) are bare expressions: `${{ }}` may wrap a whole condition but \
                not a part of it.
                """,
            wrong: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: ${{ env.SEGMENT }}
                  threshold: 10000
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """,
            right: """
                flow: vip-growth
                trigger:
                  type: segment.threshold.crossed
                  segment: VIP Customers
                  threshold: 10000
                actions:
                  - { id: note, type: log, with: { message: VIP segment grew } }

                """),
        Explanation(
            .flowShadowedName, name: "shadowed-name",
            summary: "A loop variable hides a built-in name or the variable of an enclosing loop.",
            details: """
                `foreach.as` names the current item. Naming it `event`, `trigger`, `vars`, \
                `actions`, `env`, `secrets`, `now` or `flow`, or like the variable of an enclosing \
                `foreach`, would make the hidden name unreachable inside the loop.
                """,
            wrong: """
                flow: stage-report
                trigger: { type: unification.completed }
                actions:
                  - id: stages
                    type: foreach
                    items: ${{ event.data.stages }}
                    as: event
                    do:
                      - { id: note, type: log, with: { message: "${{ event.name }}" } }

                """,
            right: """
                flow: stage-report
                trigger: { type: unification.completed }
                actions:
                  - id: stages
                    type: foreach
                    items: ${{ event.data.stages }}
                    as: stage
                    do:
                      - { id: note, type: log, with: { message: "${{ stage.name }}" } }

                """),
        Explanation(
            .flowDurationOutOfRange, name: "duration-out-of-range",
            summary: "A duration is zero where it must be positive, or longer than 7 days.",
            details: """
                A `timeout` must be longer than zero. No duration may exceed 7 days (`168h`): \
                longer waits are not what retries and timeouts are for.
                """,
            wrong: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    timeout: 0s
                    with: { url: "https://example.com/hook" }

                """,
            right: """
                flow: sales-alerts
                trigger: { type: datasource.refresh.failed }
                actions:
                  - id: call
                    type: http
                    timeout: 10s
                    with: { url: "https://example.com/hook" }

                """),
    ]
}
