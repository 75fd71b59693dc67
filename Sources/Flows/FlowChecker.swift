import Catalog
import Diagnostics
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
    public static func check(_ streams: [YAMLStream], catalog: Catalog = .standard) -> FlowCheckResult {
        var flows: [Flow] = []
        var diagnostics: [Diagnostic] = []
        for stream in streams {
            diagnostics += stream.diagnostics
            var decoder = FlowDecoder(catalog: catalog, file: stream.file)
            for document in stream.documents {
                guard let root = document.root, !(root.scalar?.isNull ?? false) else { continue }
                guard var flow = decoder.decodeFlow(root) else { continue }
                var scopes = ScopeChecker(flow: flow, catalog: catalog)
                let scoped = scopes.run()
                flow.expressions = scoped.expressions
                flow.actionGraph = scoped.graph
                diagnostics += scoped.diagnostics
                flows.append(flow)
            }
            diagnostics += decoder.diagnostics
        }
        diagnostics += duplicateNames(flows)
        diagnostics = FlowTypingPass.apply(to: flows, diagnostics: diagnostics, files: streams.map(\.file), catalog: catalog)
        return FlowCheckResult(flows: flows, diagnostics: sortedInSourceOrder(diagnostics))
    }

    /// Checks the flows of one file held in memory; convenient for tests and editors.
    public static func check(_ stream: YAMLStream, catalog: Catalog = .standard) -> FlowCheckResult {
        check([stream], catalog: catalog)
    }

    private static func duplicateNames(_ flows: [Flow]) -> [Diagnostic] {
        var first: [String: Located<String>] = [:]
        var result: [Diagnostic] = []
        for flow in flows {
            guard let name = flow.name else { continue }
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
