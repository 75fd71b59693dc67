import Catalog
import Diagnostics
import Foundation
import YAML

/// What checking a set of flow files found.
public struct FlowCheckResult: Sendable {
    /// Every document that is a mapping, decoded as far as its errors allow, in input order.
    public var flows: [Flow]
    /// The reader's diagnostics of every stream and the checker's, in source order.
    public var diagnostics: [Diagnostic]

    public var flowCount: Int { flows.count }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The summary line of a lint report over `files` files.
    public func summary(files: Int) -> DiagnosticSummary {
        DiagnosticSummary(files: files, flows: flowCount, diagnostics: diagnostics)
    }
}

/// The structural checker of SPEC sections 2, 3 and 5: one flow per YAML document, checked
/// against the catalog. Expressions are found and split but not type-checked here; each
/// flow's ``Flow/expressions`` lists them with the names in scope for the typing pass.
public enum FlowChecker {
    /// How many threads check at once by default: every core.
    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Checks the flows of `streams`. Each document is decoded and scope-checked, and each
    /// flow typed, independently of the others, so with `workers > 1` that work is spread over
    /// threads; the result (flows, diagnostics and their order) is the same for any `workers`.
    /// `typing: false` stops after the structural checks (for measuring them alone).
    public static func check(_ streams: [YAMLStream], catalog: Catalog = .standard, workers: Int = defaultWorkers, typing: Bool = true) -> FlowCheckResult {
        let index = CatalogIndex.of(catalog)
        let documents = streams.enumerated().flatMap { position, stream in
            stream.documents.compactMap { document -> (stream: Int, root: YAMLNode)? in
                guard let root = document.root, isFlowCandidate(root) else { return nil }
                return (position, root)
            }
        }
        var decoded = ParallelWork.map(count: documents.count, workers: workers) { item in
            let (position, root) = documents[item]
            return decode(root, file: streams[position].file, catalog: catalog, index: index)
        }
        // The order of a serial check: per file, the reader's diagnostics, the scope checker's
        // per flow, then the decoder's per flow.
        var flows: [Flow] = []
        flows.reserveCapacity(decoded.count)
        var diagnostics: [Diagnostic] = []
        var next = 0
        for (position, stream) in streams.enumerated() {
            diagnostics += stream.diagnostics
            let first = next
            while next < documents.count, documents[next].stream == position { next += 1 }
            for item in first..<next {
                // Moved, not copied: a flow is a large value.
                if let flow = decoded[item].flow.take() { flows.append(flow) }
                diagnostics += decoded[item].scopeDiagnostics
            }
            for item in first..<next { diagnostics += decoded[item].decoderDiagnostics }
        }
        diagnostics += duplicateNames(flows.lazy.map(\.name))
        if typing {
            diagnostics = FlowTypingPass.apply(to: flows, diagnostics: diagnostics, files: streams.map(\.file), catalog: catalog, workers: workers)
        }
        return FlowCheckResult(flows: flows, diagnostics: sortedInSourceOrder(diagnostics))
    }

    struct DecodedDocument: Sendable {
        var flow: Flow?
        var scopeDiagnostics: [Diagnostic]
        var decoderDiagnostics: [Diagnostic]
    }

    /// The structural checks of one document: decoding, then scopes and `run_after`.
    /// `collectsExpressions: false` leaves ``Flow/expressions`` empty, for `flowc lint`, which
    /// only wants the diagnostics (typing works from the model itself).
    static func decode(
        _ root: YAMLNode, file: SourceFile, catalog: Catalog, index: CatalogIndex, collectsExpressions: Bool = true
    ) -> DecodedDocument {
        var decoder = FlowDecoder(catalog: catalog, index: index, file: file)
        var outcome = DecodedDocument(flow: nil, scopeDiagnostics: [], decoderDiagnostics: [])
        if var flow = decoder.decodeFlow(root) {
            let scoped = Self.scopes(of: flow, index: index, collectsExpressions: collectsExpressions)
            flow.expressions = scoped.expressions
            flow.actionGraph = scoped.graph
            outcome.scopeDiagnostics = scoped.diagnostics
            outcome.flow = flow
        }
        outcome.decoderDiagnostics = decoder.diagnostics
        return outcome
    }

    /// The scope checker's findings; in a function of its own so that the checker has let go
    /// of the flow before the caller changes it (else the change copies the flow's storage).
    private static func scopes(
        of flow: borrowing Flow, index: CatalogIndex, collectsExpressions: Bool
    ) -> (diagnostics: [Diagnostic], expressions: [ScopedExpression], graph: ActionGraph?) {
        var checker = ScopeChecker(flow: flow, index: index, collectsExpressions: collectsExpressions)
        return checker.run()
    }

    /// Whether a document's root is something to decode: a null document holds no flow.
    static func isFlowCandidate(_ root: YAMLNode) -> Bool {
        !(root.scalar?.isNull ?? false)
    }

    /// Checks the flows of one file held in memory; convenient for tests and editors.
    public static func check(_ stream: YAMLStream, catalog: Catalog = .standard, workers: Int = defaultWorkers) -> FlowCheckResult {
        check([stream], catalog: catalog, workers: workers)
    }

    /// Flow names must be unique across all files: each repeat is an error with a note at the
    /// first. `names` are the flows' names in input order.
    static func duplicateNames(_ names: some Sequence<Located<String>?>) -> [Diagnostic] {
        var first: [String: Located<String>] = [:]
        var result: [Diagnostic] = []
        for case let name? in names {
            if let earlier = first[name.value] {
                result.append(Diagnostic(
                    .flowDuplicateName, .error, "duplicate flow name `\(name.value)`", at: name.span,
                    label: "flow names must be unique across all files",
                    notes: [Note("first defined here", at: earlier.span)]))
            } else {
                first[name.value] = name
            }
        }
        return result
    }

    /// Source order, keeping the order of diagnostics at the same place as they were made.
    static func sortedInSourceOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            if Diagnostic.sourceOrder(lhs.element, rhs.element) { return true }
            if Diagnostic.sourceOrder(rhs.element, lhs.element) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
