import CEL
import Diagnostics
import Runtime

/// Compares expectations with what happened; a difference is an FC0310 diagnostic at the
/// expectation, with the expected and actual lists as a diff in its notes.
struct ExpectationComparison {
    let test: FlowTestCase

    func compareRuns(_ expected: ExpectedList<ExpectedRun>, _ actual: [ObservedRuns.Run]) -> [Diagnostic] {
        func matches(_ want: ExpectedRun, _ have: ObservedRuns.Run) -> Bool {
            want.flow == have.flow && (want.event.map { $0 == have.event } ?? true) && (want.status.map { $0 == have.status } ?? true)
                && want.actions.allSatisfy { action in have.actions.contains { $0.path == action.path && $0.status == action.status } }
        }
        let wanted = expected.items.map { item -> String in
            var parts = ["flow: \(item.flow)"]
            if let event = item.event { parts.append("event: \(event)") }
            if let status = item.status { parts.append("status: \(status)") }
            if !item.actions.isEmpty { parts.append("actions: {" + item.actions.map { "\($0.path): \($0.status)" }.joined(separator: ", ") + "}") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        let happened = actual.map { run in
            "{flow: \(run.flow), event: \(run.event), status: \(run.status), actions: {" + run.actions.map { "\($0.path): \($0.status)" }.joined(separator: ", ") + "}}"
        }
        return compare(kind: "runs", noun: "run", expected: expected, actual: actual, wanted: wanted, happened: happened, matches: matches)
    }

    func compareEmitted(_ expected: ExpectedList<ExpectedEmit>, _ actual: [JSONValue]) -> [Diagnostic] {
        func matches(_ want: ExpectedEmit, _ have: JSONValue) -> Bool {
            (want.type.map { $0 == TestJSON.string(TestJSON.field(have, "type")) } ?? true)
                && (want.subject.map { $0 == TestJSON.string(TestJSON.field(have, "subject")) } ?? true)
                && (want.data.map { data in TestJSON.field(have, "data").map { TestJSON.contains($0, data) } ?? false } ?? true)
        }
        let wanted = expected.items.map { item -> String in
            var parts: [String] = []
            if let type = item.type { parts.append("type: \(type)") }
            if let subject = item.subject { parts.append("subject: \(subject)") }
            if let data = item.data { parts.append("data: \(data.serialized())") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        let happened = actual.map { event -> String in
            var parts = ["type: \(TestJSON.string(TestJSON.field(event, "type")) ?? "")"]
            if let subject = TestJSON.string(TestJSON.field(event, "subject")) { parts.append("subject: \(subject)") }
            parts.append("data: \(TestJSON.field(event, "data")?.serialized() ?? "null")")
            return "{" + parts.joined(separator: ", ") + "}"
        }
        return compare(kind: "emitted", noun: "emitted event", expected: expected, actual: actual, wanted: wanted, happened: happened, matches: matches)
    }

    func compareRequests(_ expected: ExpectedList<ExpectedRequest>, _ actual: [HTTPRequestSpec]) -> [Diagnostic] {
        func body(_ request: HTTPRequestSpec) -> JSONValue? {
            request.body.flatMap { TestJSON.parse(String(decoding: $0, as: UTF8.self)) }
        }
        func matches(_ want: ExpectedRequest, _ have: HTTPRequestSpec) -> Bool {
            (want.method.map { $0 == have.method.uppercased() } ?? true)
                && (want.url.map { Glob.matches(have.url, pattern: $0) } ?? true)
                && want.headers.allSatisfy { header in have.headers.contains { $0.0.lowercased() == header.0 && $0.1 == header.1 } }
                && (want.json.map { json in body(have).map { TestJSON.contains($0, json) } ?? false } ?? true)
        }
        let wanted = expected.items.map { item -> String in
            var parts: [String] = []
            if let method = item.method { parts.append("method: \(method)") }
            if let url = item.url { parts.append("url: \(url)") }
            if !item.headers.isEmpty { parts.append("headers: {" + item.headers.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}") }
            if let json = item.json { parts.append("json: \(json.serialized())") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        let happened = actual.map { request -> String in
            var parts = ["method: \(request.method)", "url: \(request.url)"]
            if let json = body(request) { parts.append("json: \(json.serialized())") }
            return "{" + parts.joined(separator: ", ") + "}"
        }
        return compare(kind: "requests", noun: "request", expected: expected, actual: actual, wanted: wanted, happened: happened, matches: matches)
    }

    /// Pairs expected and actual items in order; reports the first difference with the
    /// whole diff, so the reader sees the context.
    private func compare<Want, Have>(kind: String, noun: String, expected: ExpectedList<Want>, actual: [Have], wanted: [String], happened: [String], matches: (Want, Have) -> Bool) -> [Diagnostic] {
        var span = expected.span
        var label: String?
        if expected.items.count != actual.count {
            label = "expected \(plural(expected.items.count, noun)), got \(actual.count)"
        } else if let index = zip(expected.items, actual).enumerated().first(where: { !matches($0.element.0, $0.element.1) })?.offset {
            label = "\(noun) \(index + 1) differs"
            if let itemSpan = itemSpan(expected.items[index]) { span = itemSpan }
        }
        guard let label else { return [] }
        var diagnostic = Diagnostic.error(.testExpectationNotMet, "expectation not met: `\(kind)` in test `\(test.name)`", at: span, label: label)
        diagnostic = diagnostic.with(note: "diff (- expected, + actual):")
        // An expectation that matched its actual item shows as that item, so only real
        // differences are marked.
        var shown = wanted
        for (index, pair) in zip(expected.items, actual).enumerated() where matches(pair.0, pair.1) { shown[index] = happened[index] }
        for line in Self.diff(shown, happened) { diagnostic = diagnostic.with(note: line) }
        return [diagnostic]
    }

    private func itemSpan<Want>(_ item: Want) -> SourceSpan? {
        switch item {
        case let run as ExpectedRun: return run.span
        case let emit as ExpectedEmit: return emit.span
        case let request as ExpectedRequest: return request.span
        default: return nil
        }
    }

    private func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    /// A line diff by longest common subsequence: `  ` same, `- ` expected only, `+ ` actual only.
    static func diff(_ expected: [String], _ actual: [String]) -> [String] {
        let n = expected.count, m = actual.count
        var table = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = expected[i] == actual[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var lines: [String] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, expected[i] == actual[j] {
                lines.append("  \(expected[i])"); i += 1; j += 1
            } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
                lines.append("- \(expected[i])"); i += 1
            } else {
                lines.append("+ \(actual[j])"); j += 1
            }
        }
        if lines.isEmpty { lines.append("  (nothing)") }
        return lines
    }
}
