import Diagnostics
import Flows
import Testing

/// A flow around a list of actions, so tests show only what they are about.
private func flow(_ actions: String, name: String = "test-flow") -> String {
    "flow: \(name)\ntrigger:\n  type: datasource.refresh.failed\nactions:\n" + actions
}

private func log(_ id: String, indent: Int = 2, extra: String = "") -> String {
    let pad = String(repeating: " ", count: indent)
    return "\(pad)- id: \(id)\n\(pad)  type: log\n\(extra.isEmpty ? "" : "\(pad)  \(extra)\n")\(pad)  with: { message: \(id) }\n"
}

@Suite struct DidYouMeanTests {
    @Test func unknownActionKeyNamesTheNearestKeyWithAFixIt() throws {
        let result = Lint.text(flow(log("a") + log("b", extra: "run_afer: { a: [failed] }")))
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == .flowUnknownKey)
        #expect(diagnostic.message == "unknown key `run_afer`; did you mean `run_after`?")
        #expect(diagnostic.span.start.line == 10)
        #expect(diagnostic.span.start.column == 5)
        #expect(diagnostic.fixIts.map(\.replacement) == ["run_after"])
    }

    @Test func triggerActionTypeAndEnumsSuggest() {
        let text = """
            flow: x
            trigger:
              type: segment.threshold.crosed
            actions:
              - type: htp
                with: { url: "https://example.com" }
              - type: log
                with: { message: hi, level: warn }
            """
        #expect(Lint.summary(text) == [
            "3:9 FC0111 unknown trigger `segment.threshold.crosed`; did you mean `segment.threshold.crossed`?",
            "5:11 FC0112 unknown action type `htp`; did you mean `http`?",
            "8:33 FC0107 invalid value `warn` for `with.level`; did you mean `warning`?",
        ])
    }

    @Test func unknownKeyWithoutSuggestionListsTheValidKeys() throws {
        let result = Lint.text(flow(log("a", extra: "zzzzzzzz: 1")))
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.message == "unknown key `zzzzzzzz`")
        #expect(diagnostic.notes.first?.message.hasPrefix("valid keys: `id`, `type`") == true)
    }
}

@Suite struct RunAfterTests {
    @Test func siblingAndEarlierOuterActionsAreInScope() {
        let text = flow(log("first") + """
              - id: group
                type: scope
                do:
                  - id: inner
                    type: log
                    run_after: { first: [succeeded, failed] }
                    with: { message: inner }
                  - id: second
                    type: log
                    run_after: { inner: [failed] }
                    with: { message: second }
            """ + "\n" + log("after", extra: "run_after: { group: [failed] }"))
        #expect(Lint.summary(text).isEmpty)
    }

    @Test func nestedAndLaterActionsAreOutOfScope() {
        let text = flow("""
              - id: group
                type: scope
                do:
                  - id: inner
                    type: log
                    run_after: { later: [succeeded] }
                    with: { message: inner }
              - id: later
                type: log
                run_after: { inner: [failed] }
                with: { message: later }
            """ + "\n")
        #expect(Lint.summary(text) == [
            "10:22 FC0117 `run_after` names action `later`, which is not in scope here",
            "14:18 FC0117 `run_after` names action `inner`, which is not in scope here",
        ])
    }

    @Test func branchesCannotWaitForEachOther() {
        let text = flow("""
              - id: both
                type: parallel
                branches:
                  - - id: left
                      type: log
                      with: { message: left }
                  - - id: right
                      type: log
                      run_after: { left: [succeeded] }
                      with: { message: right }
            """ + "\n")
        #expect(Lint.codes(text) == ["FC0117"])
    }

    @Test func selfUnknownAndSuggestion() {
        let text = flow(log("alpha") + log("beta", extra: "run_after: { beta: [failed], alpah: [failed], zzz: [failed] }"))
        #expect(Lint.summary(text) == [
            "10:18 FC0116 action `beta` cannot run after itself",
            "10:34 FC0115 `run_after` names unknown action `alpah`; did you mean `alpha`?",
            "10:51 FC0115 `run_after` names unknown action `zzz`",
        ])
    }

    @Test func cycleIsReportedOnceInOrder() {
        let text = flow(
            log("a", extra: "run_after: { b: [succeeded] }")
                + log("b", extra: "run_after: { c: [succeeded] }")
                + log("c", extra: "run_after: { a: [succeeded] }"))
        #expect(Lint.summary(text) == ["7:18 FC0118 `run_after` cycle: a → b → c → a"])
    }

    @Test func implicitOrderClosesACycle() {
        // `a` waits for `b`, and `b` (no run_after) runs after the previous action, `a`.
        let text = flow(log("a", extra: "run_after: { b: [succeeded] }") + log("b"))
        #expect(Lint.summary(text) == ["7:18 FC0118 `run_after` cycle: a → b → a"])
    }

    @Test func forwardReferenceWithoutCycleIsAllowed() {
        let text = flow(log("a") + log("b", extra: "run_after: { c: [succeeded] }") + log("c", extra: "run_after: { a: [succeeded] }"))
        #expect(Lint.summary(text).isEmpty)
    }

    @Test func duplicateIdsAcrossNestedListsHaveANoteAtTheFirst() throws {
        let text = flow(log("same") + """
              - id: group
                type: scope
                do:
            """ + "\n" + log("same", indent: 6))
        let result = Lint.text(text)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == .flowDuplicateActionID)
        #expect(diagnostic.span.start.line == 11)
        #expect(diagnostic.notes.first?.span?.start.line == 5)
    }
}

@Suite struct FlowSetTests {
    @Test func duplicateFlowNamesAcrossFilesPointAtTheFirst() throws {
        let one = flow(log("a"), name: "shared")
        let two = "# another file\n" + flow(log("b"), name: "shared")
        let (result, _) = Lint.files([("a.yaml", one), ("b.yaml", two)])
        #expect(result.flowCount == 2)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.code == .flowDuplicateName)
        #expect(diagnostic.span.file == "b.yaml")
        #expect(diagnostic.span.start.line == 2)
        #expect(diagnostic.notes.first?.span?.file == "a.yaml")
        #expect(diagnostic.notes.first?.span?.start.line == 1)
    }

    @Test func severalDocumentsInOneFile() {
        let text = flow(log("a"), name: "one") + "---\n" + flow(log("a"), name: "two") + "---\n- not a flow\n"
        let result = Lint.text(text)
        #expect(result.flowCount == 2)
        #expect(result.diagnostics.map(\.code.rawValue) == ["FC0100"])
    }

    @Test func disabledFlowIsStillChecked() {
        let text = "flow: off-flow\nenabled: false\ntrigger:\n  type: nope\nactions:\n" + log("a")
        #expect(Lint.codes(text) == ["FC0111"])
    }
}

@Suite struct ExpressionSiteTests {
    @Test func sitesCarryRoleScopeAndSpans() throws {
        let text = """
            flow: sites
            trigger:
              type: datasource.refresh.failed
            conditions:
              - ${{ event.data.status == 'failed' }}
            vars:
              first: ${{ event.data.datasource }}
              second: "name: ${{ vars.first }}!"
            actions:
              - id: a
                type: log
                with: { message: "${{ vars.second }}" }
              - id: each
                type: foreach
                items: ${{ [1, 2] }}
                as: n
                do:
                  - id: inner
                    type: log
                    if: n > 1
                    with: { message: "n is ${{ n }} after ${{ actions.a.status }}" }
            """
        let result = Lint.text(text)
        #expect(result.diagnostics.isEmpty)
        let flow = try #require(result.flows.first)
        let sites = flow.expressions
        #expect(sites.map(\.path) == [
            "conditions[0]", "vars.first", "vars.second", "actions.a.with.message", "actions.each.items",
            "actions.inner.if", "actions.inner.with.message",
        ])
        #expect(sites.map(\.site.role) == [.condition, .wholeValue, .template, .wholeValue, .wholeValue, .condition, .template])
        #expect(sites[0].site.expressions.map(\.text) == [" event.data.status == 'failed' "])
        #expect(sites[2].visibleVars == ["first"])
        #expect(sites[4].visibleActions == ["a"])
        #expect(sites[5].visibleActions == ["a"])
        #expect(sites[5].loopVariables == ["n"])
        let template = sites[6].site
        #expect(template.parts.map(\.text) == ["n is ", " n ", " after ", " actions.a.status "])
        // The expression ` n ` sits in the double-quoted scalar on line 21.
        let span = template.span(of: template.parts[1].range)
        #expect(span.start.line == 21)
        #expect(span.start.column == 35)
        #expect(span.end.column == 38)
    }

    @Test func escapedAndUnterminatedTemplates() {
        let split = TemplateSplitter.split("cost: $${{ not }} ${{ {'a': {'b': 1}} }} end")
        #expect(split.parts.map(\.text) == ["cost: ${{ not }} ", " {'a': {'b': 1}} ", " end"])
        #expect(split.unterminatedAt == nil)
        #expect(TemplateSplitter.split("a ${{ b").unterminatedAt == 2)
        #expect(TemplateSplitter.split("a ${{ '}}' ").unterminatedAt == 2)
    }
}

@Suite struct DurationTests {
    @Test func parsesTheWrittenForms() throws {
        #expect(try FlowDuration.parse("250ms").get().milliseconds == 250)
        #expect(try FlowDuration.parse("10s").get().milliseconds == 10_000)
        #expect(try FlowDuration.parse("1m30s").get().milliseconds == 90_000)
        #expect(try FlowDuration.parse("2h").get().description == "2h")
        #expect(try FlowDuration.parse("1h1m1s1ms").get().description == "1h1m1s1ms")
    }

    @Test func rejectsOtherForms() {
        for text in ["", "10", "s", "1.5s", "-1s", "10 s", "1s1m", "1s1s", "1d", "ten seconds"] {
            guard case .failure(.syntax) = FlowDuration.parse(text) else {
                Issue.record("`\(text)` should be a syntax error")
                continue
            }
        }
        #expect(FlowDuration.parse("169h") == .failure(.tooLong))
        #expect(FlowDuration.suggestion(for: "10") == "10s")
        #expect(FlowDuration.suggestion(for: "30sec") == "30s")
        #expect(FlowDuration.suggestion(for: "2 minutes") == "2m")
        #expect(FlowDuration.suggestion(for: "1.5s") == "1500ms")
        #expect(FlowDuration.suggestion(for: "1s2m") == nil)
        #expect(FlowDuration.suggestion(for: "soon") == nil)
        #expect(FlowDuration.parse("99999999999999999999999h") == .failure(.tooLong))
        #expect(FlowDuration.parse("168h") == .success(FlowDuration.maximum))
    }
}

/// Numbers, integers and durations are read from their bytes, with the general readers kept
/// for what the fast ones leave: these pin what both accept, at the edges of each.
@Suite struct ScalarReadingTests {
    private func threshold(_ value: String) -> [String] {
        Lint.codes("flow: t\ntrigger:\n  type: measure.threshold.crossed\n  measure: M\n  threshold: \(value)\nactions:\n" + log("a"))
    }

    private func retry(_ key: String, _ value: String) -> [String] {
        Lint.codes(flow(log("a", extra: "retry: { \(key): \(value) }")))
    }

    @Test func numbersInDecimalNotation() {
        for accepted in ["1000", "2.5", "-0.5E-3", "+.5", "1e5", "5.", "007"] {
            #expect(threshold(accepted) == [], "\(accepted)")
        }
        for rejected in ["1e", ".", "1.2.3", "１２", "0x10", "1_000", "+", "e5", "1e+", "1e5x", "٣"] {
            #expect(!threshold(rejected).isEmpty, "\(rejected)")
        }
    }

    @Test func integersUpToTheirRange() {
        for accepted in ["3", "+3", "007", "123456789012345678", "9223372036854775807"] {
            #expect(retry("attempts", accepted) == [], "\(accepted)")
        }
        for rejected in ["0", "-3", "3.0", "３", "+", "99999999999999999999"] {
            #expect(!retry("attempts", rejected).isEmpty, "\(rejected)")
        }
    }

    @Test func durationsWellFormedOrNot() {
        for accepted in ["1s", "250ms", "1m30s", "2h", "1h2m3s4ms", "0s", "168h"] {
            #expect(retry("delay", accepted) == [], "\(accepted)")
        }
        for rejected in ["1hs", "1s1m", "1s1s", "１s", "1.5s", "s", "1", "10 s", "169h", "1000000000000000s", "1mss"] {
            #expect(!retry("delay", rejected).isEmpty, "\(rejected)")
        }
    }
}
