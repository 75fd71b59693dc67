import Catalog
import Diagnostics
import Foundation
import YAML

/// The typing pass over a checked set of flows, as ``FlowChecker`` runs it: types every flow
/// that the structural checks left complete enough, then applies inline suppressions.
public enum FlowTypingPass {
    /// `diagnostics` plus the typing diagnostics of `flows`, without the warnings that a
    /// `# flowc-ignore` comment silences. A flow with structural errors is not typed: its
    /// scope (trigger, ids, nesting) is not reliable, and guesses would bury the real error.
    public static func apply(to flows: [Flow], diagnostics: [Diagnostic], files: [SourceFile], catalog: Catalog, workers: Int = 1) -> [Diagnostic] {
        var result = diagnostics
        let errors = ErrorLocations(diagnostics)
        let typed = flows.indices.filter { !errors.lieInside(flows[$0]) }
        // One memo per thread: no locks in the hot path, and each memo warms up quickly.
        let memos = MemoPerWorker()
        let index = CatalogIndex.of(catalog)
        let typings = ParallelWork.map(count: typed.count, workers: workers) { item, worker in
            FlowTyper.type(flows[typed[item]], catalog: catalog, memo: memos.memo(for: worker), index: index).diagnostics
        }
        for diagnostics in typings { result += diagnostics }
        return Suppressions(files: files).filtered(result)
    }

    /// Whether an error lies inside the flow's document.
    public static func hasErrors(_ flow: Flow, in diagnostics: [Diagnostic]) -> Bool {
        diagnostics.contains { diagnostic in
            diagnostic.severity == .error && diagnostic.span.file == flow.file
                && diagnostic.span.start.offset >= flow.span.start.offset && diagnostic.span.start.offset <= flow.span.end.offset
        }
    }
}

/// The start offsets of error diagnostics by file, sorted, so that whether a flow's document
/// holds an error is a binary search rather than a scan of every diagnostic per flow.
struct ErrorLocations {
    private var offsets: [String: [Int]] = [:]

    init(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics where diagnostic.severity == .error {
            offsets[diagnostic.span.file, default: []].append(diagnostic.span.start.offset)
        }
        for file in offsets.keys { offsets[file]?.sort() }
    }

    /// Whether an error starts inside the flow's document (both ends included).
    func lieInside(_ flow: Flow) -> Bool {
        lieInside(flow.span, of: flow.file)
    }

    /// Whether an error starts inside `span` of `file` (both ends included).
    func lieInside(_ span: SourceSpan, of file: String) -> Bool {
        guard let starts = offsets[file] else { return false }
        var low = 0
        var high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] < span.start.offset { low = mid + 1 } else { high = mid }
        }
        return low < starts.count && starts[low] <= span.end.offset
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

    /// `diagnostics` without the silenced ones; the common case, no marker in any file, copies nothing.
    public func filtered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        table.isEmpty ? diagnostics : diagnostics.filter { !silences($0) }
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

    /// Jumps from `f` to `f`: every file lint reads is searched whole.
    private static func mentionsMarker(_ bytes: [UInt8]) -> Bool {
        let needle = Array(marker.utf8)
        var start = 0
        while let found = bytes.index(of: needle[0], from: start), found + needle.count <= bytes.count {
            if bytes[found..<(found + needle.count)].elementsEqual(needle) { return true }
            start = found + 1
        }
        return false
    }
}

/// A ``TypingMemo`` for each worker thread of a typing pass.
final class MemoPerWorker: @unchecked Sendable {
    private let lock = NSLock()
    private var memos: [Int: TypingMemo] = [:]

    func memo(for worker: Int) -> TypingMemo {
        lock.lock()
        defer { lock.unlock() }
        if let memo = memos[worker] { return memo }
        let memo = TypingMemo()
        memos[worker] = memo
        return memo
    }
}
