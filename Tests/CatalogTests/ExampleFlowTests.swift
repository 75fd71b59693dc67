import Catalog
import Foundation
import Testing

/// Conventions of the examples in `flows/`: one flow per file, named after the flow, and every
/// catalog trigger shown at least once. (`flowc lint flows/` checks the flows themselves.)
@Suite struct ExampleFlowTests {
    let folder = repositoryRoot.appendingPathComponent("flows")

    private func examples() throws -> [(name: String, text: String)] {
        try yamlFiles(in: folder).map { path in
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            return (name, try String(contentsOfFile: path, encoding: .utf8))
        }
    }

    @Test func fileNameIsTheFlowName() throws {
        let flowLine = try Regex(#"(?m)^flow: *([a-z0-9][a-z0-9._-]*) *$"#)
        for example in try examples() {
            let names = example.text.matches(of: flowLine).map { String(example.text[$0.output[1].range ?? $0.range]) }
            #expect(names == [example.name], "flows/\(example.name).yaml holds \(names)")
            #expect(!example.text.contains("\n---"), "flows/\(example.name).yaml: one flow per file")
        }
    }

    @Test func everyTriggerHasAnExample() throws {
        let triggerType = try Regex(#"(?m)^trigger:[^\n]*\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]+type: *([a-z.]+)"#)
        var shown: Set<String> = []
        for example in try examples() {
            for match in example.text.matches(of: triggerType) {
                shown.insert(String(example.text[match.output[1].range ?? match.range]))
            }
        }
        let missing = Set(Catalog.standard.triggers.map(\.name)).subtracting(shown)
        #expect(missing.isEmpty, "no example in flows/ uses \(missing.sorted())")
    }

    @Test func everyActionTypeHasAnExample() throws {
        let actionType = try Regex(#"(?m)^[ \t-]*type: *([a-z]+) *(?:#.*)?$"#)
        var shown: Set<String> = []
        for example in try examples() {
            for match in example.text.matches(of: actionType) {
                shown.insert(String(example.text[match.output[1].range ?? match.range]))
            }
        }
        let missing = Set(Catalog.standard.actionTypeNames).subtracting(shown)
        #expect(missing.isEmpty, "no example in flows/ uses \(missing.sorted())")
    }
}
