import Catalog
import Diagnostics
import Foundation
import YAML

/// What linting a set of flow files found: the count of flows and the diagnostics.
public struct FlowLintResult: Sendable {
    /// Documents that decoded to a flow, as ``FlowCheckResult/flowCount`` counts them.
    public var flowCount: Int
    /// In source order, exactly as ``FlowChecker/check(_:catalog:workers:typing:)`` gives them.
    public var diagnostics: [Diagnostic]
}

/// `flowc lint`: every check of ``FlowChecker`` with typing, for when only the diagnostics
/// are wanted. Each document is read, decoded, scope-checked and typed as soon as libyaml has
/// composed it, and its tree and flow are dropped then; what is kept is its diagnostics and
/// its flow's name, for the check of duplicate names across files. So memory stays flat in the
/// size of the input, and the work is spread over threads by document, not only by file: a
/// large file is cut into sections of whole documents (see ``YAMLReader/sections(of:targetSize:)``).
///
/// The diagnostics are the same, in the same order, as those of reading every file with
/// ``YAMLReader`` and checking the streams with ``FlowChecker``, whatever the thread count;
/// a test holds the two paths to that.
public enum FlowLinter {
    /// `minimumSectionSize` is for tests, which cut small files into many sections; `typing:
    /// false` stops after the structural checks, for measuring them alone.
    public static func lint(
        _ files: [SourceFile], catalog: Catalog = .standard, workers: Int = FlowChecker.defaultWorkers,
        minimumSectionSize: Int = 16 * 1024, typing: Bool = true
    ) -> FlowLintResult {
        let index = CatalogIndex.of(catalog)
        let units = workUnits(files, workers: workers, minimumSectionSize: minimumSectionSize)
        let memos = MemoPerWorker()
        var outcomes = ParallelWork.map(count: units.count, workers: workers) { item, worker in
            let unit = units[item]
            // A section has its own copy of its file's path: see ``SourceFile/withOwnPath()``.
            let file = unit.section == nil ? files[unit.file] : files[unit.file].withOwnPath()
            return check(unit, of: file, catalog: catalog, index: index, memo: typing ? memos.memo(for: worker) : nil)
        }
        // A file whose sections need a diagnostic of the reader is read again in one piece,
        // so those diagnostics are exactly those of a whole reading.
        var unitsByFile = [[Int]](repeating: [], count: files.count)
        for (position, unit) in units.enumerated() { unitsByFile[unit.file].append(position) }
        let memo = typing ? memos.memo(for: 0) : nil
        for positions in unitsByFile where positions.count > 1 && positions.contains(where: { outcomes[$0].needsWholeFile }) {
            let file = units[positions[0]].file
            outcomes[positions[0]] = check(WorkUnit(file: file, section: nil), of: files[file], catalog: catalog, index: index, memo: memo)
            for position in positions.dropFirst() { outcomes[position] = UnitOutcome() }
        }
        return assemble(outcomes, unitsByFile: unitsByFile, files: files)
    }

    /// A file, or one section of a large file.
    private struct WorkUnit: Sendable {
        var file: Int
        var section: YAMLSection?
    }

    /// Sections large enough that reading one costs far more than handing it out, small
    /// enough that a file splits into many per thread, so threads finish together: the last
    /// section handed out is what one thread may still be reading while the others wait.
    private static func workUnits(_ files: [SourceFile], workers: Int, minimumSectionSize: Int) -> [WorkUnit] {
        var units: [WorkUnit] = []
        units.reserveCapacity(files.count)
        for (position, file) in files.enumerated() {
            let targetSize = max(minimumSectionSize, file.bytes.count / max(1, workers * 32))
            if workers > 1, let sections = YAMLReader.sections(of: file, targetSize: targetSize) {
                units += sections.map { WorkUnit(file: position, section: $0) }
            } else {
                units.append(WorkUnit(file: position, section: nil))
            }
        }
        return units
    }

    /// What the documents of a work unit left behind, in document order: their diagnostics
    /// by kind, and their flows' names and spans. Kept flat per unit rather than per document,
    /// since most documents leave no diagnostic (measured: a record per document made putting
    /// the results together a serial 1.6% of the run).
    private struct UnitOutcome: Sendable {
        var readerDiagnostics: [Diagnostic] = []
        var scopeDiagnostics: [Diagnostic] = []
        var decoderDiagnostics: [Diagnostic] = []
        var typingDiagnostics: [Diagnostic] = []
        var flows: [FlowMark] = []
        /// A section that needs a reader diagnostic: its file is read again whole.
        var needsWholeFile = false
    }

    /// A document that decoded to a flow.
    private struct FlowMark: Sendable {
        var name: Located<String>?
        var span: SourceSpan
        /// Its typing diagnostics, in ``UnitOutcome/typingDiagnostics``.
        var typing: Range<Int>
    }

    /// `memo` is nil when flows are not to be typed.
    private static func check(_ unit: WorkUnit, of file: SourceFile, catalog: Catalog, index: CatalogIndex, memo: TypingMemo?) -> UnitOutcome {
        var outcome = UnitOutcome()
        let eachDocument = { (document: YAMLDocument) in
            guard let root = document.root, FlowChecker.isFlowCandidate(root) else { return }
            check(root, of: file, catalog: catalog, index: index, memo: memo, into: &outcome)
        }
        if let section = unit.section {
            outcome.needsWholeFile = !YAMLReader.read(section, of: file, eachDocument: eachDocument)
        } else {
            outcome.readerDiagnostics = YAMLReader.read(file, eachDocument: eachDocument)
        }
        return outcome
    }

    private static func check(
        _ root: YAMLNode, of file: SourceFile, catalog: Catalog, index: CatalogIndex, memo: TypingMemo?,
        into outcome: inout UnitOutcome
    ) {
        let decoded = FlowChecker.decode(root, file: file, catalog: catalog, index: index, collectsExpressions: false)
        outcome.scopeDiagnostics += decoded.scopeDiagnostics
        outcome.decoderDiagnostics += decoded.decoderDiagnostics
        guard let flow = decoded.flow else { return }
        let typingStart = outcome.typingDiagnostics.count
        // Typed as the typing pass would: not when an error of its own lies inside the flow.
        // Errors found elsewhere (a duplicate name) drop the typing diagnostics afterwards.
        let hasOwnErrors = decoded.scopeDiagnostics.contains { $0.severity == .error }
            || decoded.decoderDiagnostics.contains { $0.severity == .error }
        if let memo, !hasOwnErrors || !ErrorLocations(decoded.scopeDiagnostics + decoded.decoderDiagnostics).lieInside(flow) {
            outcome.typingDiagnostics += FlowTyper.type(flow, catalog: catalog, memo: memo, recordsTypes: false, index: index).diagnostics
        }
        outcome.flows.append(FlowMark(name: flow.name, span: flow.span, typing: typingStart..<outcome.typingDiagnostics.count))
    }

    /// The diagnostics in the order ``FlowChecker`` makes them before sorting: per file the
    /// reader's, the scope checker's and the decoder's; then duplicate names; then typing,
    /// for flows without an error inside; then suppressions and source order.
    private static func assemble(_ outcomes: [UnitOutcome], unitsByFile: [[Int]], files: [SourceFile]) -> FlowLintResult {
        var diagnostics: [Diagnostic] = []
        for positions in unitsByFile {
            for position in positions { diagnostics += outcomes[position].readerDiagnostics }
            for position in positions { diagnostics += outcomes[position].scopeDiagnostics }
            for position in positions { diagnostics += outcomes[position].decoderDiagnostics }
        }
        let inFileOrder = unitsByFile.joined()
        diagnostics += FlowChecker.duplicateNames(inFileOrder.lazy.flatMap { outcomes[$0].flows.lazy.map(\.name) })
        let errors = ErrorLocations(diagnostics)
        var flowCount = 0
        for position in inFileOrder {
            let outcome = outcomes[position]
            flowCount += outcome.flows.count
            for flow in outcome.flows where !flow.typing.isEmpty && !errors.lieInside(flow.span, of: flow.span.file) {
                diagnostics += outcome.typingDiagnostics[flow.typing]
            }
        }
        diagnostics = Suppressions(files: files).filtered(diagnostics)
        return FlowLintResult(flowCount: flowCount, diagnostics: FlowChecker.sortedInSourceOrder(diagnostics))
    }
}
