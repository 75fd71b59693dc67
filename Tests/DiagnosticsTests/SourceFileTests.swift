import Testing
@testable import Diagnostics

@Suite struct SourceFileTests {
    let file = SourceFile(path: "f.yaml", text: "ab\ncé d\r\n\nlast")

    @Test func positionsCountLinesAndScalars() {
        #expect(file.position(atOffset: 0) == SourcePosition(offset: 0, line: 1, column: 1))
        #expect(file.position(atOffset: 3) == SourcePosition(offset: 3, line: 2, column: 1))
        // `é` is two bytes but one column.
        #expect(file.position(atOffset: 6).column == 3)
        #expect(file.position(atOffset: 7).column == 4)
        #expect(file.position(atOffset: 100) == file.position(atOffset: file.bytes.count))
        #expect(file.position(atOffset: -5).offset == 0)
    }

    @Test func lineTableOfEveryKindOfEnding() {
        #expect(SourceFile(path: "a", text: "").lineStarts == [0])
        #expect(SourceFile(path: "a", text: "x").lineStarts == [0])
        #expect(SourceFile(path: "a", text: "x\n").lineStarts == [0, 2])
        #expect(SourceFile(path: "a", text: "\n\nab\r\ncd").lineStarts == [0, 1, 2, 6])
    }

    @Test func byteSearchFromAnIndex() {
        let bytes = Array("a-b-c".utf8)
        #expect(bytes.index(of: UInt8(ascii: "-"), from: 0) == 1)
        #expect(bytes.index(of: UInt8(ascii: "-"), from: 2) == 3)
        #expect(bytes.index(of: UInt8(ascii: "-"), from: 4) == nil)
        #expect(bytes.index(of: UInt8(ascii: "a"), from: 5) == nil)
        #expect(bytes.index(of: UInt8(ascii: "a"), from: -1) == nil)
        #expect([UInt8]().index(of: 0, from: 0) == nil)
    }

    @Test func aCopyWithItsOwnPathIsTheSameFile() {
        let file = SourceFile(path: "flows/a-path-longer-than-fifteen-bytes.yaml", text: "flow: x\nkey: y\n")
        let copy = file.withOwnPath()
        #expect(copy.path == file.path && copy.bytes == file.bytes && copy.lineStarts == file.lineStarts)
        #expect(copy.position(atOffset: 9) == file.position(atOffset: 9))
    }

    @Test func offsetsFromLineAndColumn() {
        #expect(file.offset(line: 2, column: 3) == 6)
        #expect(file.offset(line: 2, column: 99) == file.lineEndOffset(line: 2))
        #expect(file.offset(line: 0, column: 1) == 0)
        #expect(file.offset(line: 99, column: 1) == file.bytes.count)
    }

    @Test func lineTextDropsLineBreaks() {
        #expect(file.lineText(2) == "cé d")
        #expect(file.lineText(3) == "")
        #expect(file.lineText(4) == "last")
        #expect(file.lineText(5) == "")
    }

    @Test func invalidUTF8IsRepairedForDisplay() {
        let broken = SourceFile(path: "b", bytes: [0x61, 0xFF, 0x62])
        #expect(broken.lineText(1) == "a\u{FFFD}b")
    }
}

@Suite struct SuggestionTests {
    @Test func editDistance() {
        #expect(Suggestions.editDistance("run_afer", "run_after") == 1)
        #expect(Suggestions.editDistance("", "abc") == 3)
        #expect(Suggestions.editDistance("Flow", "flow") == 0)
    }

    @Test func closestRespectsTheLimit() {
        #expect(Suggestions.closest(to: "run_afer", in: ["run_after", "retry", "id"]) == "run_after")
        #expect(Suggestions.closest(to: "zzzzzz", in: ["run_after", "retry"]) == nil)
        #expect(Suggestions.closest(to: "id", in: ["id"]) == nil)
    }
}
