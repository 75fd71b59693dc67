import Catalog
import Diagnostics
import YAML

/// The typing pass over a checked set of flows, as ``FlowChecker`` runs it: types every flow
/// that the structural checks left complete enough, then applies inline suppressions.
public enum FlowTypingPass {
    /// `diagnostics` plus the typing diagnostics of `flows`, without the warnings that a
    /// `# flowc-ignore` comment silences. A flow with structural errors is not typed: its
    /// scope (trigger, ids, nesting) is not reliable, and guesses would bury the real error.
    public static func apply(to flows: [Flow], diagnostics: [Diagnostic], files: [SourceFile], catalog: Catalog) -> [Diagnostic] {
        var result = diagnostics
        for flow in flows where !hasErrors(flow, in: diagnostics) {
            result += FlowTyper.type(flow, catalog: catalog).diagnostics
        }
        let suppressions = Suppressions(files: files)
        return result.filter { !suppressions.silences($0) }
    }

    /// Whether an error lies inside the flow's document.
    public static func hasErrors(_ flow: Flow, in diagnostics: [Diagnostic]) -> Bool {
        diagnostics.contains { diagnostic in
            diagnostic.severity == .error && diagnostic.span.file == flow.file
                && diagnostic.span.start.offset >= flow.span.start.offset && diagnostic.span.start.offset <= flow.span.end.offset
        }
    }
}

/// `# flowc-ignore FC0260` (codes comma- or space-separated) on the line of a diagnostic or
/// on the line before silences those codes there. Only warnings can be silenced: an error
/// would let `flowc compile` write a graph that cannot run.
public struct Suppressions: Sendable {
    /// File path → line → codes.
    private var table: [String: [Int: Set<String>]] = [:]

    public static let marker = "flowc-ignore"

    public init(files: [SourceFile]) {
        for file in files where Self.mentionsMarker(file.bytes) {
            var lines: [Int: Set<String>] = [:]
            for line in 1...max(1, file.lineCount) {
                let codes = Self.codes(inLine: file.lineText(line))
                if !codes.isEmpty { lines[line, default: []].formUnion(codes) }
            }
            if !lines.isEmpty { table[file.path] = lines }
        }
    }

    public func silences(_ diagnostic: Diagnostic) -> Bool {
        guard diagnostic.severity != .error, let lines = table[diagnostic.span.file] else { return false }
        let line = diagnostic.span.start.line
        let code = diagnostic.code.rawValue
        return lines[line]?.contains(code) == true || lines[line - 1]?.contains(code) == true
    }

    /// The codes of a `# flowc-ignore` comment in one line of text.
    public static func codes(inLine text: String) -> Set<String> {
        guard let hash = text.range(of: "# " + marker) ?? text.range(of: "#" + marker) else { return [] }
        let rest = text[hash.upperBound...]
        var codes = Set<String>()
        for word in rest.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            guard word.count == 6, word.hasPrefix("FC"), word.dropFirst(2).allSatisfy(\.isNumber) else { break }
            codes.insert(String(word))
        }
        return codes
    }

    private static func mentionsMarker(_ bytes: [UInt8]) -> Bool {
        let needle = Array(marker.utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
