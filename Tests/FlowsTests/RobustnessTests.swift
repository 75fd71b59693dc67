import Diagnostics
import Flows
import Foundation
import Testing
import YAML

/// Every prefix of every example flow (cut at each byte, also inside UTF-8 sequences) goes
/// through the reader and the checker without crashing. Files are cut at every byte for the
/// first `denseBytes` bytes and at every `stride`-th byte after, to keep a debug run short.
@Suite struct RobustnessTests {
    static let denseBytes = 4096
    static let stride = 7

    static var inputs: [String] {
        Fixtures.exampleFlows().map(\.path)
            + Fixtures.names(in: "valid").map { Fixtures.directory.appendingPathComponent("valid/\($0).yaml").path }
    }

    @Test(arguments: inputs)
    func everyPrefixIsLintedWithoutCrashing(path: String) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        var cut = 0
        var linted = 0
        while cut <= bytes.count {
            let file = SourceFile(path: "prefix.yaml", bytes: Array(bytes[0..<cut]))
            let result = FlowChecker.check([YAMLReader.read(file, limits: YAMLLimits())])
            for diagnostic in result.diagnostics {
                #expect(diagnostic.span.start.offset <= cut && diagnostic.span.end.offset <= cut)
            }
            linted += 1
            cut += cut < Self.denseBytes ? 1 : Self.stride
        }
        #expect(linted > 0)
    }
}
