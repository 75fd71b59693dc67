import Catalog
import Diagnostics
import Flows
import Foundation
import YAML

/// Reads flow files the way `flowc lint` does: YAML reader, then the checker.
enum Lint {
    static func files(_ files: [(path: String, text: String)]) -> (result: FlowCheckResult, sources: SourceFiles) {
        let sourceFiles = files.map { SourceFile(path: $0.path, text: $0.text) }
        return run(sourceFiles)
    }

    static func text(_ text: String, path: String = "test.yaml") -> FlowCheckResult {
        files([(path, text)]).result
    }

    static func run(_ sourceFiles: [SourceFile]) -> (result: FlowCheckResult, sources: SourceFiles) {
        let streams = sourceFiles.map { YAMLReader.read($0, limits: YAMLLimits()) }
        return (FlowChecker.check(streams), SourceFiles(sourceFiles))
    }

    /// "LINE:COLUMN CODE message" lines, compact enough to compare in a test.
    static func summary(_ text: String) -> [String] {
        text.isEmpty ? [] : Lint.text(text).diagnostics.map { "\($0.span.start.line):\($0.span.start.column) \($0.code) \($0.message)" }
    }

    static func codes(_ text: String) -> [String] {
        Lint.text(text).diagnostics.map(\.code.rawValue)
    }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Names (without `.yaml`) of the fixtures in a folder, sorted.
    static func names(in folder: String) -> [String] {
        let url = directory.appendingPathComponent(folder)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return entries.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func bytes(_ relativePath: String) -> [UInt8] {
        (try? Data(contentsOf: directory.appendingPathComponent(relativePath))).map { Array($0) } ?? []
    }

    /// Every flow file below `flows/` of the repository, recursively: `*.yaml` and `*.yml`,
    /// without the flow tests (`*.test.yaml`), as `flowc lint flows/` finds them.
    static func exampleFlows() -> [URL] {
        let root = repositoryRoot.appendingPathComponent("flows").resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { ($0.pathExtension == "yaml" || $0.pathExtension == "yml") && !$0.lastPathComponent.contains(".test.") }
            .sorted { $0.path < $1.path }
    }
}
