import Diagnostics
import Testing
@testable import YAML

/// Every way of converting libyaml's marks must agree with the line table: for every node,
/// the line and column of its span are those of its byte offsets.
@Suite("Mark conversion") struct PositionTests {
    static let variants: [(String, [UInt8])] = {
        let ascii = Array(sampleFlow.utf8)
        let accented = Array(sampleFlow.replacing("VIP Customers", with: "Kunder på Østlandet 😀").utf8)
        let crlf = Array(sampleFlow.replacing("\n", with: "\r\n").replacing("VIP", with: "VÍP").utf8)
        let withBOM = [0xEF, 0xBB, 0xBF] + Array(("description: é 😀\n" + sampleFlow.replacing("description:", with: "summary:")).utf8)
        // A NEL inside a quoted string and a lone CR in a comment are line breaks to libyaml only.
        let description = "Tell sales when the VIP segment passes 10,000 members."
        let nel = Array(sampleFlow.replacing(description, with: "\"Tell sales\u{85}when é\"").utf8)
        let loneCR = Array(sampleFlow.replacing("# required; exactly one", with: "# required;\r# exactly one é").utf8)
        let separator = Array(sampleFlow.replacing(description, with: "\"Tell sales\u{2028}when é\"").utf8)
        return [("ascii", ascii), ("accented", accented), ("crlf", crlf), ("bom", withBOM), ("nel", nel), ("lone CR", loneCR), ("line separator", separator)]
    }()

    @Test(arguments: variants.map(\.0))
    func positionsAgreeWithTheLineTable(variant: String) throws {
        let bytes = try #require(Self.variants.first { $0.0 == variant }?.1)
        let file = SourceFile(path: "test.yaml", bytes: bytes)
        let stream = YAMLReader.read(file)
        #expect(stream.errors.isEmpty, "\(stream.diagnostics)")
        let root = try #require(stream.root)
        #expect(root["trigger"]?["segment"] != nil)
        var pending = [root]
        var visited = 0
        while let node = pending.popLast() {
            visited += 1
            #expect(file.position(atOffset: node.span.start.offset) == node.span.start, "\(variant) \(node.span)")
            #expect(file.position(atOffset: node.span.end.offset) == node.span.end, "\(variant) \(node.span)")
            switch node.kind {
            case .scalar(let scalar):
                if scalar.style == .plain, !scalar.value.isEmpty {
                    #expect(file.text(node.span.start.offset..<node.span.end.offset) == scalar.value, "\(variant)")
                }
            case .sequence(let items):
                pending.append(contentsOf: items)
            case .mapping(let pairs):
                for pair in pairs { pending.append(pair.key); pending.append(pair.value) }
            }
        }
        #expect(visited > 60)
    }

    @Test func errorPositionAfterIrregularLineBreaks() throws {
        // libyaml counts the NEL as a line break; the reported line must still be the file's.
        let stream = read("a: \"x\u{85}y\"\nb: [1\nc: 2\n")
        let diagnostic = try #require(stream.diagnostics.first)
        #expect(diagnostic.code == .unclosedFlowCollection)
        #expect(diagnostic.span.compact == "3:2-3:3")
    }

    @Test func propertiesAreNotPartOfTheSpan() throws {
        let root = try #require(read("a: &x !!str \"v\"\nb: !!map\n  # comment\n  k: 1\n").root)
        #expect(root["a"]?.span.compact == "1:13-1:16")
        #expect(root["a"]?.anchor == "x")
        #expect(root["b"]?.span.compact == "4:3-4:7")
        #expect(root["b"]?.tag == "!!map")
    }
}
