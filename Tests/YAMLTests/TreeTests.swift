import Diagnostics
import Testing
@testable import YAML

@Suite("Composing trees") struct TreeTests {
    @Test func sampleFlowReadsWithoutDiagnostics() throws {
        let stream = read(sampleFlow)
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.root)
        #expect(root["flow"]?.text == "vip-segment-growth")
        #expect(root["trigger"]?["threshold"]?.text == "10000")
        #expect(root["actions"]?.at(0)?["with"]?["json"]?.isFlowStyle == true)
        #expect(root["actions"]?.at(1)?["run_after"]?["notify"]?.at(1)?.text == "failed")
        #expect(root["conditions"]?.sequence?.count == 2)
    }

    @Test func scalarSpansInBlockMapping() throws {
        let root = try #require(read("name: value\nother:   x y z  \n").root)
        let pairs = try #require(root.mapping)
        #expect(pairs[0].key.span.compact == "1:1-1:5")
        #expect(pairs[0].value.span.compact == "1:7-1:12")
        #expect(pairs[1].value.span.compact == "2:10-2:15")
        #expect(pairs[1].value.span.start.offset == 21)
        #expect(root.span.compact == "1:1-2:15")
    }

    @Test func flowCollectionSpansCoverTheBrackets() throws {
        let root = try #require(read("a: [1, {b: c}]\n").root)
        let sequence = try #require(root["a"])
        #expect(sequence.isFlowStyle)
        #expect(sequence.span.compact == "1:4-1:15")
        let mapping = try #require(sequence.at(1))
        #expect(mapping.isFlowStyle)
        #expect(mapping.span.compact == "1:8-1:14")
        #expect(mapping["b"]?.span.compact == "1:12-1:13")
    }

    @Test func blockCollectionsEndAtTheirLastEntry() throws {
        let text = "list:\n  - one\n  - two   # trailing comment\n\n\n# comment\nnext: 1\n"
        let root = try #require(read(text).root)
        let list = try #require(root["list"])
        #expect(!list.isFlowStyle)
        #expect(list.span.compact == "2:3-3:8")
        #expect(root.span.compact == "1:1-7:8")
    }

    @Test func multiByteTextHasScalarColumnsAndByteOffsets() throws {
        // `é` is 2 bytes, `😀` 4 bytes: columns count scalars, offsets count bytes.
        let text = "é: \"😀é\"\nnext: [é, 😀]\n"
        let root = try #require(read(text).root)
        let pair = try #require(root.mapping?.first)
        #expect(pair.key.span.compact == "1:1-1:2")
        #expect(pair.key.span.end.offset == 2)
        #expect(pair.value.text == "😀é")
        #expect(pair.value.span.compact == "1:4-1:8")
        #expect(pair.value.span.start.offset == 4)
        #expect(pair.value.span.end.offset == 12)
        let next = try #require(root["next"])
        #expect(next.span.compact == "2:7-2:13")
        #expect(next.at(1)?.span.compact == "2:11-2:12")
        #expect(next.at(1)?.span.start.offset == 24)
        let file = SourceFile(path: "test.yaml", text: text)
        let emoji = try #require(next.at(1))
        #expect(file.text(emoji.span.start.offset..<emoji.span.end.offset) == "😀")
    }

    @Test func libyamlMarksCountCharacters() {
        // Pins what libyaml 0.2.5 reports, which MarkConverter relies on: `index` and `column`
        // count characters (😀 is 4 bytes, 1 character), and a CR LF pair is 2 in `index`.
        let bytes = Array("- 😀\r\n- x\n".utf8)
        let marks: [Mark] = withEventParser(bytes, from: 0) { parser in
            var found: [Mark] = []
            var event = ParserEvent(kind: .streamStart, start: Mark(index: 0, line: 0, column: 0), end: Mark(index: 0, line: 0, column: 0))
            while parser.next(into: &event) == nil {
                if event.kind == .scalar { found.append(event.start) }
                if event.kind == .streamEnd { break }
            }
            return found
        }
        #expect(marks.map(\.index) == [2, 7])
        #expect(marks.map(\.line) == [0, 1])
        #expect(marks.map(\.column) == [2, 2])
    }

    @Test func libyamlIndexCountsCharactersNotBytes() throws {
        // Pins what libyaml 0.2.5 reports: if `index` counted bytes, the second scalar would
        // start 5 bytes (not 2 characters) after the first.
        let root = try #require(read("- 😀\n- x\n").root)
        #expect(root.at(1)?.span.start.offset == 9)
        #expect(root.at(1)?.span.compact == "2:3-2:4")
    }

    @Test func carriageReturnLineEnds() throws {
        let root = try #require(read("a: 1\r\nb: é\r\nc: 3\r\n").root)
        #expect(root["b"]?.span.compact == "2:4-2:5")
        #expect(root["c"]?.span.compact == "3:4-3:5")
        #expect(root["c"]?.text == "3")
    }

    @Test func multiDocumentSpans() throws {
        let stream = read("flow: a\n---\nflow: b\n...\n---\n- x\n")
        #expect(stream.diagnostics.isEmpty)
        #expect(stream.documents.count == 3)
        #expect(stream.documents[0].root?["flow"]?.text == "a")
        #expect(stream.documents[1].root?["flow"]?.span.compact == "3:7-3:8")
        #expect(stream.documents[1].span.compact == "2:1-4:4")
        #expect(stream.documents[2].root?.at(0)?.span.compact == "6:3-6:4")
    }

    @Test func emptyDocumentsAreLeftOut() {
        let stream = read("---\nflow: a\n---\n")
        #expect(stream.documents.count == 1)
        #expect(stream.diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("k: plain text", ScalarStyle.plain, "plain text"),
        ("k: 'single ''q'''", .singleQuoted, "single 'q'"),
        ("k: \"double \\t\"", .doubleQuoted, "double \t"),
        ("k: |\n  line 1\n  line 2\n", .literal, "line 1\nline 2\n"),
        ("k: >\n  folded\n  text\n", .folded, "folded text\n"),
    ])
    func scalarStyles(text: String, style: ScalarStyle, value: String) throws {
        let scalar = try #require(read(text).root?["k"]?.scalar)
        #expect(scalar.style == style)
        #expect(scalar.value == value)
        #expect(scalar.tag == nil)
    }

    @Test func blockScalarSpanStopsAtItsText() throws {
        let root = try #require(read("k: |\n  line 1\n  line 2\n\n\nnext: 1\n").root)
        #expect(root["k"]?.span.compact == "1:4-3:9")
        let folded = try #require(read("k: >-\n  a\n").root)
        #expect(folded["k"]?.span.compact == "1:4-2:4")
    }

    @Test func tagsAreKeptInShortForm() throws {
        let root = try #require(read("a: !!str 10\nb: !custom x\nc: !!map {x: 1}\nd: ! y\n").root)
        #expect(root["a"]?.scalar?.tag == "!!str")
        #expect(root["a"]?.text == "10")
        #expect(root["b"]?.scalar?.tag == "!custom")
        #expect(root["c"]?.tag == "!!map")
        #expect(root["d"]?.scalar?.tag == "!")
    }

    @Test func yaml11BooleansStayText() throws {
        let root = try #require(read("on: yes\noff: No\ny: n\n").root)
        #expect(root.mapping?.map { $0.key.text } == ["on", "off", "y"])
        #expect(root["on"]?.text == "yes")
        #expect(root["on"]?.scalar?.style == .plain)
    }

    @Test func nullsAndEmptyValues() throws {
        let root = try #require(read("a:\nb: ~\nc: null\nd: ''\n").root)
        #expect(root["a"]?.scalar?.isNull == true)
        #expect(root["b"]?.scalar?.isNull == true)
        #expect(root["c"]?.kindName == "null")
        #expect(root["d"]?.scalar?.isNull == false)
    }
}
