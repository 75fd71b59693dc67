import Diagnostics
import Flows
import Foundation
import Testing
import YAML

/// `flowc lint` checks each document as it is read, on several threads and in sections of
/// large files (``FlowLinter``); `compile` and the tests read whole streams and check them
/// (``FlowChecker``). These tests hold the two to the same diagnostics, in the same order.
@Suite struct FlowLinterTests {
    static func checked(_ files: [SourceFile]) -> FlowCheckResult {
        FlowChecker.check(files.map { YAMLReader.read($0) }, workers: 1)
    }

    static func expectSameAsChecker(_ files: [SourceFile], sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = checked(files)
        for workers in [1, 2, 3] {
            let linted = FlowLinter.lint(files, workers: workers, minimumSectionSize: 1)
            #expect(linted.flowCount == expected.flowCount, "workers: \(workers)", sourceLocation: sourceLocation)
            #expect(linted.diagnostics == expected.diagnostics, "workers: \(workers)", sourceLocation: sourceLocation)
        }
    }

    static var fixtureFiles: [SourceFile] {
        let fixtures = ["invalid", "typed", "valid"].flatMap { folder in
            Fixtures.names(in: folder).map { SourceFile(path: "\(folder)/\($0).yaml", bytes: Fixtures.bytes("\(folder)/\($0).yaml")) }
        }
        let examples = Fixtures.exampleFlows().map { url in
            SourceFile(path: url.lastPathComponent, bytes: (try? Data(contentsOf: url)).map { Array($0) } ?? [])
        }
        return fixtures + examples
    }

    /// The valid and typed fixtures and the examples as one stream of documents, each copy
    /// after a `---` line written one of the ways YAML allows.
    static func concatenated(extra: [String] = []) -> String {
        let texts = (["typed", "valid"].flatMap { folder in
            Fixtures.names(in: folder).map { String(decoding: Fixtures.bytes("\(folder)/\($0).yaml"), as: UTF8.self) }
        } + Fixtures.exampleFlows().compactMap { try? String(contentsOf: $0, encoding: .utf8) })
            .filter { !$0.hasPrefix("\u{FEFF}") && !$0.contains("\t") && !$0.contains("%YAML") }
        let separators = ["---\n", "--- # next flow\n", "---\n\n", "...\n---\n"]
        var text = ""
        for (position, part) in (texts + extra + texts).enumerated() {
            if position > 0 { text += separators[position % separators.count] }
            text += part
            if !part.hasSuffix("\n") { text += "\n" }
        }
        return text
    }

    @Test func everyFixtureAndExampleAsItsOwnFile() {
        Self.expectSameAsChecker(Self.fixtureFiles)
    }

    @Test func oneLargeFileCutIntoSections() throws {
        let file = SourceFile(path: "all.yaml", text: Self.concatenated())
        let sections = try #require(YAMLReader.sections(of: file, targetSize: 1))
        #expect(sections.count > 20)
        Self.expectSameAsChecker([file])
    }

    @Test func sectionsOfTextWithNonASCIIAndCRLF() throws {
        let accented = """
            flow: café-crème
            trigger: { type: segment.threshold.crossed, segment: Größe ✓, threshold: 10 }
            actions:
              - type: log
                with: { message: "Ünïcode — ${{ event.type }} 🎉" }

            """
        let text = Self.concatenated(extra: [accented, accented])
        Self.expectSameAsChecker([SourceFile(path: "unicode.yaml", text: text)])
        let crlf = SourceFile(path: "crlf.yaml", text: text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(YAMLReader.sections(of: crlf, targetSize: 1) != nil)
        Self.expectSameAsChecker([crlf])
    }

    @Test func aSectionWithAnErrorMakesTheFileReadWhole() {
        let broken = [
            "flow: broken\ntrigger: [unclosed\n",
            "flow: dup\nflow: again\n",
            "flow: quoted\nmessage: \"open\n",
        ]
        for part in broken {
            Self.expectSameAsChecker([SourceFile(path: "broken.yaml", text: Self.concatenated(extra: [part]))])
        }
    }

    @Test func aSectionWithBytesToReportMakesTheFileReadWhole() {
        // Sections check their own bytes on their own threads; any of these sends the file to
        // a reading in one piece, so the diagnostics are those of the whole file.
        let parts = [
            "flow: lone-cr\nmessage: \"a\rb\"\n",
            "flow: next-line\nmessage: \"a\u{85}b\"\n",
            "flow: line-separator\nmessage: \"a\u{2028}b\"\n",
            "flow: accent\nmessage: café\n",
        ]
        for part in parts {
            Self.expectSameAsChecker([SourceFile(path: "bytes.yaml", text: Self.concatenated(extra: [part]))])
        }
        let text = Array(Self.concatenated(extra: ["flow: marker-one\n", "flow: marker-two\n"]).utf8)
        for bad: [UInt8] in [[0xC3, 0x28], [0x00], [0xED, 0xA0, 0x80]] {
            var bytes = text
            if let marker = bytes.firstRange(of: Array("marker-one".utf8)) {
                bytes.replaceSubrange(marker, with: bad)
            }
            #expect(bytes != text)
            Self.expectSameAsChecker([SourceFile(path: "bad.yaml", bytes: bytes)])
        }
    }

    @Test func filesThatAreNeverCut() {
        let text = Self.concatenated()
        #expect(YAMLReader.sections(of: SourceFile(path: "a.yaml", text: "%YAML 1.1\n---\n" + text), targetSize: 1) == nil)
        #expect(YAMLReader.sections(of: SourceFile(path: "b.yaml", text: "\u{FEFF}" + text), targetSize: 1) == nil)
        #expect(YAMLReader.sections(of: SourceFile(path: "c.yaml", text: text.replacingOccurrences(of: "\n", with: "\r")), targetSize: 1) == nil)
        #expect(YAMLReader.sections(of: SourceFile(path: "d.yaml", text: "flow: x\n"), targetSize: 1) == nil)
        for file in [SourceFile(path: "a.yaml", text: "%YAML 1.1\n---\n" + text), SourceFile(path: "b.yaml", text: "\u{FEFF}" + text)] {
            Self.expectSameAsChecker([file])
        }
    }

    @Test func duplicateNamesAcrossSectionsAndFiles() {
        let text = Self.concatenated()
        Self.expectSameAsChecker([SourceFile(path: "one.yaml", text: text), SourceFile(path: "two.yaml", text: text)])
    }

    /// Cut anywhere (inside a document, a scalar, a UTF-8 sequence), a file still gives the
    /// checker's diagnostics: the sections before the cut are clean, the last one is not.
    @Test func prefixesOfALargeFile() {
        let bytes = Array(Self.concatenated(extra: ["flow: ünï\ntrigger: {type: refresh.completed}\n"]).utf8)
        // Spread over the file, off any regular boundary.
        let cuts = (0..<24).map { step in min(bytes.count, bytes.count * step / 24 + step * 37) }
        for cut in cuts {
            let file = SourceFile(path: "prefix.yaml", bytes: Array(bytes[0..<cut]))
            let expected = Self.checked([file])
            let linted = FlowLinter.lint([file], workers: 2, minimumSectionSize: 1)
            #expect(linted.diagnostics == expected.diagnostics, "cut at \(cut)")
            #expect(linted.flowCount == expected.flowCount, "cut at \(cut)")
        }
    }

    /// The typing memo is shared by every flow a thread types; flows typed each with a fresh
    /// memo must give the same diagnostics.
    @Test func aSharedTypingMemoChangesNothing() {
        let files = Self.fixtureFiles
        let shared = Self.checked(files)
        let structural = FlowChecker.check(files.map { YAMLReader.read($0) }, workers: 1, typing: false)
        var diagnostics = structural.diagnostics
        for flow in structural.flows where !FlowTypingPass.hasErrors(flow, in: structural.diagnostics) {
            diagnostics += FlowTyper.type(flow).diagnostics
        }
        diagnostics = Suppressions(files: files).filtered(diagnostics)
        let expected = diagnostics.enumerated().sorted { lhs, rhs in
            if Diagnostic.sourceOrder(lhs.element, rhs.element) { return true }
            if Diagnostic.sourceOrder(rhs.element, lhs.element) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
        #expect(shared.diagnostics.count > 100)
        #expect(shared.diagnostics == expected)
    }
}
