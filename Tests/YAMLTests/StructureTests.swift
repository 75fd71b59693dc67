import Diagnostics
import Testing
@testable import YAML

@Suite("Keys, anchors and limits") struct StructureTests {
    @Test func duplicateKeyPointsAtBothOccurrences() throws {
        let stream = read("flow: a\ntimeout: 1s\nflow: b\n")
        let diagnostic = try #require(stream.diagnostics.first)
        #expect(stream.diagnostics.count == 1)
        #expect(diagnostic.code == .duplicateKey)
        #expect(diagnostic.message == "duplicate key `flow`")
        #expect(diagnostic.span.compact == "3:1-3:5")
        #expect(diagnostic.secondary.first?.span.compact == "1:1-1:5")
        #expect(diagnostic.secondary.first?.label == "first defined here")
        // The first value wins; the document is still usable.
        #expect(stream.root?["flow"]?.text == "a")
        #expect(stream.root?.mapping?.count == 2)
    }

    @Test func duplicateKeysCompareByValueAcrossStyles() {
        let stream = read("a: 1\n\"a\": 2\n'a': 3\n")
        #expect(stream.codes == [.duplicateKey, .duplicateKey])
    }

    @Test func duplicateKeysInFlowMappingsAndLargeMappings() {
        #expect(read("x: {a: 1, b: 2, a: 3}\n").codes == [.duplicateKey])
        var text = ""
        for index in 0..<100 { text += "key\(index): \(index)\n" }
        text += "key42: again\n"
        let stream = read(text)
        #expect(stream.codes == [.duplicateKey])
        #expect(stream.diagnostics.first?.secondary.first?.span.start.line == 43)
        #expect(stream.root?["key99"]?.text == "99")
    }

    @Test func largeMappingsInsideLargeMappingsKeepTheirOwnKeys() {
        var text = ""
        for index in 0..<15 { text += "outer\(index): \(index)\n" }
        text += "inner:\n"
        for index in 0..<20 { text += "  key\(index): \(index)\n" }
        text += "  key3: again\n"
        for index in 15..<20 { text += "outer\(index): \(index)\n" }
        text += "outer2: again\nkey3: fine\n"
        let stream = read(text)
        #expect(stream.codes == [.duplicateKey, .duplicateKey])
        #expect(stream.diagnostics.map(\.span.start.line) == [37, 43])
        #expect(stream.root?["inner"]?.mapping?.count == 20)
        #expect(stream.root?["inner"]?["key3"]?.text == "3")
        #expect(stream.root?.mapping?.count == 22)
        #expect(stream.root?["key3"]?.text == "fine")
    }

    @Test func documentsOfDifferentSizesKeepTheirOwnTrees() throws {
        var large = ""
        for index in 0..<50 { large += "k\(index): [\(index), v\(index)]\n" }
        let stream = YAMLReader.read(SourceFile(path: "t.yaml", text: "a: 1\n---\n" + large + "---\nc: {d: 3}\n"))
        #expect(stream.diagnostics.isEmpty)
        #expect(stream.documents.count == 3)
        #expect(stream.documents[0].root?["a"]?.text == "1")
        #expect(stream.documents[1].root?["k49"]?.sequence?.last?.text == "v49")
        #expect(stream.documents[1].root?.mapping?.count == 50)
        #expect(stream.documents[2].root?["c"]?["d"]?.text == "3")
        #expect(stream.documents[2].root?["c"]?.span.compact == "54:4-54:10")
    }

    @Test func aliasesKeepTheTagsOfTheirAnchors() throws {
        let root = try #require(read("a: &x !!map {k: v}\nb: *x\nc: &s !!str 12\nd: *s\n").root)
        #expect(root["b"]?.tag == "!!map")
        #expect(root["b"]?.anchor == nil)
        #expect(root["b"]?.alias?.compact == "2:4-2:6")
        #expect(root["b"]?["k"]?.text == "v")
        #expect(root["d"]?.scalar?.tag == "!!str")
        #expect(root["d"]?.text == "12")
    }

    @Test func nonScalarKeysAreDiagnosed() {
        let stream = read("? [a, b]\n: 1\n{x: 1}: 2\nok: 3\n")
        #expect(stream.codes == [.nonScalarKey, .nonScalarKey])
        #expect(stream.diagnostics.first?.span.compact == "1:3-1:9")
        #expect(stream.root?.mapping?.count == 1)
    }

    @Test func aliasesShareTheAnchoredNode() throws {
        let stream = read("base: &retry { attempts: 3 }\nfirst: *retry\nsecond: *retry\n")
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.root)
        let first = try #require(root["first"])
        #expect(first["attempts"]?.text == "3")
        #expect(first.isFlowStyle)
        #expect(first.span.compact == "1:14-1:29")
        #expect(first.alias?.compact == "2:8-2:14")
        #expect(root["base"]?.anchor == "retry")
        #expect(root["base"]?.alias == nil)
        #expect(root["second"]?.alias?.compact == "3:9-3:15")
    }

    @Test func scalarAliasesAndAliasKeys() throws {
        let root = try #require(read("- &k name\n- {*k : v}\n").root)
        #expect(root.at(1)?["name"]?.text == "v")
    }

    @Test func unknownAliasSuggestsTheClosestAnchor() throws {
        let stream = read("defaults: &retry_policy {attempts: 3}\nretry: *retry_polcy\n")
        let diagnostic = try #require(stream.diagnostics.first)
        #expect(diagnostic.code == .unknownAlias)
        #expect(diagnostic.message == "unknown anchor `retry_polcy`")
        #expect(diagnostic.span.compact == "2:8-2:20")
        #expect(diagnostic.notes.map(\.message) == ["did you mean `*retry_policy`?"])
        #expect(stream.documents.count == 1)
        #expect(stream.root?["retry"]?.scalar?.isNull == true)
    }

    @Test func anchorsDoNotCrossDocuments() {
        let stream = read("a: &x 1\n---\nb: *x\n")
        #expect(stream.codes == [.unknownAlias])
    }

    @Test func recursiveAliasIsExplained() {
        let stream = read("a: &loop\n  b: *loop\n")
        #expect(stream.codes == [.unknownAlias])
        #expect(stream.diagnostics.first?.message == "alias `*loop` refers to the node it is inside of")
    }

    @Test func mergeKeysStayOrdinaryKeys() throws {
        let root = try #require(read("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n").root)
        #expect(root["thing"]?["<<"]?["x"]?.text == "1")
        #expect(root["thing"]?["x"] == nil)
    }

    @Test func aliasBombIsStoppedQuickly() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [" + Array(repeating: previous, count: 10).joined(separator: ", ") + "]\n"
        }
        text += "after: 1\n---\nflow: next\n"
        // The budget stops the expansion at the third level (`*a2`), so the work is bounded
        // by the budget, not by the 10^10 nodes the bomb describes; no clock needed to show it.
        let result = read(text)
        #expect(result.codes == [.nodeLimitExceeded])
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.message == "expanding alias `*a2` makes the document larger than 10,000 nodes")
        #expect(diagnostic.span.start.line == 4)
        // The bombed document is dropped; the next one is read.
        #expect(result.documents.count == 1)
        #expect(result.root?["flow"]?.text == "next")
    }

    @Test func nodeBudgetCountsPlainNodesToo() {
        let items = Array(repeating: "x", count: 50).joined(separator: ", ")
        let stream = read("a: [\(items)]\n", limits: YAMLLimits(maxNodesPerDocument: 20))
        #expect(stream.codes == [.nodeLimitExceeded])
        #expect(stream.diagnostics.first?.message == "the document has more than 20 nodes")
        #expect(stream.documents.isEmpty)
    }

    @Test func deepFlowNestingStopsAtTheLimit() throws {
        let text = "a: " + String(repeating: "[", count: 100_000) + "\n"
        // Reading stops at level 65 (column 67), before libyaml's quadratic slowdown on deep input.
        let result = read(text)
        #expect(result.codes == [.nestingTooDeep])
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.span.compact == "1:67-1:68")
    }

    @Test func deepBlockNestingStopsAtTheLimit() {
        // 100,000 nested block sequences on one line, and nested block mappings as complex keys.
        let sequences = read(String(repeating: "- ", count: 100_000) + "x\n")
        #expect(sequences.codes == [.nestingTooDeep])
        let keys = read(String(repeating: "? ", count: 100_000) + "x\n")
        #expect(keys.codes == [.nestingTooDeep])
        var indented = ""
        for level in 0..<200 { indented += String(repeating: " ", count: level) + "k:\n" }
        let mappings = read(indented)
        #expect(mappings.codes == [.nestingTooDeep])
        #expect(mappings.diagnostics.first?.span.start.line == 65)
    }

    @Test func nestingAtTheLimitIsFine() {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(read(text).diagnostics.isEmpty)
    }
}
