import Diagnostics
import Flows
import Testing

/// Expression parts map back to file positions in every scalar style.
@Suite struct SourceMapTests {
    /// Lints `text` and returns "LINE:COLUMN-ENDCOLUMN" of each expression part of the first
    /// `with.message`.
    private func partSpans(_ text: String) throws -> [String] {
        let result = Lint.text(text)
        #expect(result.diagnostics.filter { $0.code.rawValue < "FC0200" }.isEmpty, "\(result.diagnostics.map(\.message))")
        let flow = try #require(result.flows.first)
        let site = try #require(flow.expressions.first { $0.path.hasSuffix("with.message") }?.site)
        return site.expressions.map { part in
            let span = site.span(of: part.range)
            return "\(span.start.line):\(span.start.column)-\(span.end.column)"
        }
    }

    private func flow(message: String) -> String {
        "flow: maps\ntrigger:\n  type: datasource.refresh.failed\nactions:\n  - id: a\n    type: log\n    with:\n      message: \(message)\n"
    }

    @Test func plainScalar() throws {
        // `      message: a ${{ x }} b`: ` x ` is at columns 21-24.
        #expect(try partSpans(flow(message: "a ${{ x }} b")) == ["8:21-24"])
    }

    @Test func singleQuotedWithEscapedQuote() throws {
        // The value is `it's ${{ y }}`; in the file the quote is doubled.
        let spans = try partSpans(flow(message: "'it''s ${{ y }}'"))
        #expect(spans == ["8:26-29"])
    }

    @Test func doubleQuotedWithEscapes() throws {
        #expect(try partSpans(flow(message: "\"tab\\there ${{ z }} \\\"q\\\"\"")) == ["8:30-33"])
    }

    @Test func literalBlock() throws {
        let text = flow(message: "|\n        first ${{ a }}\n        second ${{ bb }}")
        let spans = try partSpans(text)
        #expect(spans == ["9:18-21", "10:19-23"])
    }

    @Test func nonASCIIColumnsCountScalars() throws {
        #expect(try partSpans(flow(message: "\"Grüße ${{ name }}\"")) == ["8:26-32"])
    }
}

/// Hostile shapes stay fast and never crash: long chains, long cycles, deep nesting.
@Suite struct ScaleTests {
    @Test func longRunAfterChainAndCycle() {
        var text = "flow: long\ntrigger:\n  type: datasource.refresh.failed\nactions:\n"
        let count = 600
        for index in 0..<count {
            // Every action waits for the next one, and the last one for the first: one cycle.
            let next = (index + 1) % count
            text += "  - { id: a\(index), type: log, run_after: { a\(next): [succeeded] }, with: { message: \"${{ actions.a\(next).status }}\" } }\n"
        }
        let result = Lint.text(text)
        #expect(result.diagnostics.map(\.code) == [.flowRunAfterCycle])
        #expect(result.diagnostics.first?.message.hasPrefix("`run_after` cycle: a0 → a1 → a2") == true)
    }

    @Test func hostileScalarsAndNamesStayFast() {
        let escapes = String(repeating: "\\u00e9", count: 20_000)
        let longName = String(repeating: "x", count: 900)
        var text = "flow: hostile\ntrigger:\n  type: datasource.refresh.failed\nactions:\n"
        text += "  - { id: a, type: log, with: { message: \"\(escapes) ${{ 1 }} \(escapes)\" } }\n"
        for index in 0..<200 {
            text += "  - { id: \(longName)\(index), type: log, run_after: { \(longName)y\(index): [failed] }, with: { message: m } }\n"
        }
        let start = ContinuousClock.now
        let result = Lint.text(text)
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(result.diagnostics.count { $0.code == .flowUnknownRunAfterTarget } == 200, "\(result.diagnostics.prefix(2).map(\.message))")
        let site = result.flows.first?.expressions.first?.site
        #expect(site?.role == .template)
    }

    @Test func deeplyNestedScopes() {
        var text = "flow: deep\ntrigger:\n  type: datasource.refresh.failed\nactions:\n"
        var indent = "  "
        for level in 0..<20 {
            text += "\(indent)- id: s\(level)\n\(indent)  type: scope\n\(indent)  do:\n"
            indent += "    "
        }
        text += "\(indent)- { id: leaf, type: log, run_after: { s0: [failed] }, with: { message: hi } }\n"
        let result = Lint.text(text)
        // `s0` encloses the leaf: waiting for it would wait forever.
        #expect(result.diagnostics.map(\.code) == [.flowRunAfterOutOfScope])
    }
}
