import Diagnostics
import Foundation
import Testing
import YAML

/// A large file is read in sections of whole documents on several threads; every node of
/// every document must come out as from a reading in one piece, spans included.
@Suite struct SectionTests {
    static let document = """
        # a comment before the flow
        flow: flow-NUMBER
        trigger: { type: datasource.refresh.failed, datasource: [crm, "erp-*"] }
        note: |
          a block scalar
          --- not a marker: indented
        actions:
          - type: log
            with: { message: 'NUMBER: ${{ event.type }}' }
        """

    static func stream(_ count: Int, accent: Bool, separator: String = "---\n", lineBreak: String = "\n") -> String {
        (0..<count).map { number in
            var text = document.replacingOccurrences(of: "NUMBER", with: String(number))
            if accent && number % 3 == 0 { text = text.replacingOccurrences(of: "a comment", with: "ä cömment ✓") }
            return text + "\n"
        }.joined(separator: separator).replacingOccurrences(of: "\n", with: lineBreak)
    }

    /// Every node's span and kind, depth first, as text.
    static func outline(_ node: YAMLNode, into lines: inout [String]) {
        let span = node.span
        let where_ = "\(span.start.offset)-\(span.end.offset) \(span.start.line):\(span.start.column)-\(span.end.line):\(span.end.column)"
        switch node.kind {
        case .scalar(let scalar):
            lines.append("\(where_) scalar \(scalar.value)")
        case .sequence(let items):
            lines.append("\(where_) sequence")
            for item in items { outline(item, into: &lines) }
        case .mapping(let pairs):
            lines.append("\(where_) mapping")
            for pair in pairs {
                outline(pair.key, into: &lines)
                outline(pair.value, into: &lines)
            }
        }
    }

    static func outline(_ documents: [YAMLDocument]) -> [String] {
        var lines: [String] = []
        for document in documents {
            lines.append("document \(document.span.start.offset)-\(document.span.end.offset)")
            if let root = document.root { outline(root, into: &lines) }
        }
        return lines
    }

    @Test(arguments: [
        (false, "---\n", "\n"), (true, "---\n", "\n"), (true, "--- # next\n", "\r\n"), (false, "...\n---\n", "\n"),
    ])
    func sectionsGiveTheNodesOfAWholeReading(accent: Bool, separator: String, lineBreak: String) throws {
        let file = SourceFile(path: "s.yaml", text: Self.stream(60, accent: accent, separator: separator, lineBreak: lineBreak))
        let whole = YAMLReader.read(file)
        #expect(whole.diagnostics.isEmpty)
        let sections = try #require(YAMLReader.sections(of: file, targetSize: 700))
        #expect(sections.count > 10)
        #expect(sections.first?.range.lowerBound == 0 && sections.last?.range.upperBound == file.bytes.count)
        var documents: [YAMLDocument] = []
        for section in sections {
            #expect(YAMLReader.read(section, of: file) { documents.append($0) })
        }
        #expect(Self.outline(documents) == Self.outline(whole.documents))
    }

    @Test func aSectionWithAProblemSaysSo() throws {
        let text = Self.stream(20, accent: false) + "---\nflow: x\nflow: y\n" + Self.stream(20, accent: false)
        let file = SourceFile(path: "s.yaml", text: text)
        let sections = try #require(YAMLReader.sections(of: file, targetSize: 700))
        let outcomes = sections.map { YAMLReader.read($0, of: file) { _ in } }
        #expect(outcomes.filter { !$0 }.count == 1)
    }
}
