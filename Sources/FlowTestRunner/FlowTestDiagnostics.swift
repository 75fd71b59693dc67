import Diagnostics

extension DiagnosticCode {
    static let testFileStructure = DiagnosticCode("FC0300")
    static let testUnknownFlowFile = DiagnosticCode("FC0301")
    static let testMalformedEvent = DiagnosticCode("FC0302")
    static let testUnknownKey = DiagnosticCode("FC0303")
    static let testUnknownFlow = DiagnosticCode("FC0304")
    static let testFlowInvalid = DiagnosticCode("FC0305")
    static let testUnknownStatus = DiagnosticCode("FC0306")
    static let testUnknownActionPath = DiagnosticCode("FC0307")
    static let testExpectationNotMet = DiagnosticCode("FC0310")
    static let testUnmatchedRequest = DiagnosticCode("FC0311")
    static let testEventRejected = DiagnosticCode("FC0312")
}

/// Codes of `flowc test`: FC0300–FC0349.
public enum FlowTestDiagnostics {
    public static let explanations: [Explanation] = [
        Explanation(
            .testFileStructure, name: "test-file-structure",
            summary: "a test file is not shaped as SPEC 9 describes",
            details: "A test file is a mapping with `flows`, optional `env` and a list of `tests`, each with a `name`.",
            wrong: "tests:\n  - events: []\n",
            right: "flows: [vip.yaml]\ntests:\n  - name: quiet\n    events: []\n"
        ),
        Explanation(
            .testUnknownFlowFile, name: "unknown-flow-file",
            summary: "a file in `flows` does not exist",
            details: "Paths in `flows` are relative to the test file.",
            wrong: "flows: [vip-segment-growht.yaml]\n",
            right: "flows: [vip-segment-growth.yaml]\n"
        ),
        Explanation(
            .testMalformedEvent, name: "malformed-event",
            summary: "an event of a test is not a CloudEvent flowc can read",
            details: "Each event is a mapping with at least `type`, a type of the catalog; `specversion`, `id`, `source` and `time` are filled in when absent.",
            wrong: "events:\n  - { data: { segment: VIP } }\n",
            right: "events:\n  - { type: segment.refresh, data: { segment: VIP, status: succeeded, memberCount: 1 } }\n"
        ),
        Explanation(
            .testUnknownKey, name: "unknown-test-key",
            summary: "a key that test files do not have",
            details: "Test files know `flows`, `env`, `tests`; a test knows `name`, `events`, `http`, `expect`; `expect` knows `runs`, `emitted`, `requests`.",
            wrong: "expect:\n  run: []\n",
            right: "expect:\n  runs: []\n"
        ),
        Explanation(
            .testUnknownFlow, name: "unknown-flow-in-expectation",
            summary: "an expectation names a flow that the test file does not load",
            details: "`flow` in an expected run must be the name of a flow listed in `flows`.",
            wrong: "runs:\n  - { flow: vip-growth, event: 1, status: succeeded }\n",
            right: "runs:\n  - { flow: vip-segment-growth, event: 1, status: succeeded }\n"
        ),
        Explanation(
            .testFlowInvalid, name: "flow-under-test-invalid",
            summary: "a flow under test has errors",
            details: "The flows of a test file are linted first; a flow with errors cannot be tested.",
            wrong: "flows: [broken.yaml]\n",
            right: "flows: [fixed.yaml]\n"
        ),
        Explanation(
            .testUnknownStatus, name: "unknown-status-in-expectation",
            summary: "an expectation names a status runs or actions never have",
            details: "Runs end `succeeded`, `failed` or `cancelled`; actions end `succeeded`, `failed`, `skipped` or `timed_out`.",
            wrong: "runs:\n  - { flow: vip-segment-growth, event: 2, status: success }\n",
            right: "runs:\n  - { flow: vip-segment-growth, event: 2, status: succeeded }\n"
        ),
        Explanation(
            .testUnknownActionPath, name: "unknown-action-path",
            summary: "an expected run names an action its flow does not have",
            details: "Keys of `actions` are action paths as in run records: the action's id, or its position such as `route/then/0`; inside `foreach`, followed by `/<index>`.",
            wrong: "runs:\n  - { flow: vip-segment-growth, event: 2, actions: { notfy: succeeded } }\n",
            right: "runs:\n  - { flow: vip-segment-growth, event: 2, actions: { notify: succeeded } }\n"
        ),
        Explanation(
            .testExpectationNotMet, name: "expectation-not-met",
            summary: "what the flows did differs from what the test expects",
            details: "The report shows the expected and the actual runs, emitted events or requests as a diff.",
            wrong: "runs:\n  - { flow: vip-segment-growth, event: 1, status: succeeded }   # but nothing ran\n",
            right: "runs: []\n"
        ),
        Explanation(
            .testUnmatchedRequest, name: "unmatched-http-request",
            summary: "a flow sent an http request no canned response matches",
            details: "Tests never reach the network: every request needs an entry in `http` with its method and a url glob.",
            wrong: "http: []\n",
            right: "http:\n  - { method: POST, url: \"https://hooks.example/*\", status: 200 }\n"
        ),
        Explanation(
            .testEventRejected, name: "test-event-rejected",
            summary: "the runtime rejected an event of a test",
            details: "The event's `data` must match the catalog type of its `type`, as in `flowc run`.",
            wrong: "- { type: segment.refresh, data: { memberCount: lots } }\n",
            right: "- { type: segment.refresh, data: { segment: VIP, status: succeeded, memberCount: 12 } }\n"
        ),
    ]
}
