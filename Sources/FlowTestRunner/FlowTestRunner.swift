import Catalog
import Diagnostics
import Flows
import Foundation
import Graph
import Runtime
import YAML

/// What one test gave: no failures means it passed.
public struct FlowTestResult: Sendable {
    public var file: String
    public var name: String
    public var failures: [Diagnostic]
    public var seconds: Double
    public var passed: Bool { failures.isEmpty }
}

/// The outcome of one test file: problems with the file itself (nothing runs then), the
/// results of its tests, and what they exercised.
public struct FlowTestFileOutcome: Sendable {
    public var path: String
    public var diagnostics: [Diagnostic]
    public var results: [FlowTestResult]
    public var coverage: FlowCoverage
    /// The test file and the flow files, so renderers can quote lines.
    public var sources: SourceFiles
    public var hasFileErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Runs `*.test.yaml` files (SPEC 9) against the interpreter, with canned HTTP responses.
/// Each test gets fresh flows and state; its events are processed one at a time, each
/// event's runs finishing before the next event, so results do not depend on scheduling
/// (a `concurrency: single` flow therefore never drops an event in a test).
public enum FlowTestRunner {
    /// Runs one test file; call from a plain thread (it blocks while runs finish).
    public static func runBlocking(file path: String, catalog: Catalog = .standard) -> FlowTestFileOutcome {
        let loaded = load(path, catalog: catalog)
        guard case .ready(let suite) = loaded.state else { return loaded.outcome }
        var outcome = loaded.outcome
        for test in suite.file.tests {
            let started = Date()
            let execution = TestExecution(suite: suite, test: test)
            for offset in test.events.indices {
                execution.feed(offset)
                _ = execution.engine.finishBlocking()
            }
            outcome.add(execution.evaluate(), test: test, file: path, started: started)
        }
        return outcome
    }

    /// Runs test files on all cores, one file per worker at a time; results keep the order
    /// of `paths`. Call from a plain thread.
    public static func runBlocking(files paths: [String], catalog: Catalog = .standard) -> [FlowTestFileOutcome] {
        let results = OrderedResults(count: paths.count)
        let workers = min(paths.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else { return paths.map { runBlocking(file: $0, catalog: catalog) } }
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claimNext() {
                results.store(runBlocking(file: paths[index], catalog: catalog), at: index)
            }
        }
        return results.collected()
    }

    /// Runs one test file from an async context.
    public static func run(file path: String, catalog: Catalog = .standard) async -> FlowTestFileOutcome {
        let loaded = load(path, catalog: catalog)
        guard case .ready(let suite) = loaded.state else { return loaded.outcome }
        var outcome = loaded.outcome
        for test in suite.file.tests {
            let started = Date()
            let execution = TestExecution(suite: suite, test: test)
            for offset in test.events.indices {
                execution.feed(offset)
                _ = await execution.engine.finish()
            }
            outcome.add(execution.evaluate(), test: test, file: path, started: started)
        }
        return outcome
    }

    enum LoadState {
        case failed
        case ready(LoadedSuite)
    }

    /// Reads, checks and lowers the test file and its flows.
    static func load(_ path: String, catalog: Catalog) -> (state: LoadState, outcome: FlowTestFileOutcome) {
        var outcome = FlowTestFileOutcome(path: path, diagnostics: [], results: [], coverage: FlowCoverage(flows: []), sources: SourceFiles())
        guard let data = FileManager.default.contents(atPath: path) else {
            outcome.diagnostics.append(.error(.testFileStructure, "cannot read `\(path)`", at: .whole(file: path)))
            return (.failed, outcome)
        }
        let source = SourceFile(path: path, bytes: Array(data))
        outcome.sources.add(source)
        let registry = EventTypeRegistry(catalog: catalog)
        var decoder = TestFileDecoder()
        let decoded = decoder.decode(YAMLReader.read(source))
        outcome.diagnostics += decoder.diagnostics
        guard let file = decoded, !outcome.hasFileErrors else { return (.failed, outcome) }

        var streams: [YAMLStream] = []
        for (flowPath, span) in file.flowFiles {
            guard let bytes = FileManager.default.contents(atPath: flowPath) else {
                outcome.diagnostics.append(.error(.testUnknownFlowFile, "cannot read flow file `\(flowPath)`", at: span))
                continue
            }
            let flowSource = SourceFile(path: flowPath, bytes: Array(bytes))
            outcome.sources.add(flowSource)
            streams.append(YAMLReader.read(flowSource))
        }
        let checked = FlowChecker.check(streams, catalog: catalog)
        let flowErrors = checked.diagnostics.filter { $0.severity == .error }
        if !flowErrors.isEmpty {
            outcome.diagnostics += flowErrors
            if let first = file.flowFiles.first {
                outcome.diagnostics.append(.error(.testFlowInvalid, "the flows under test have \(flowErrors.count) error\(flowErrors.count == 1 ? "" : "s")", at: first.span))
            }
        }
        guard !outcome.hasFileErrors else { return (.failed, outcome) }
        let graphs = GraphLowering.lower(checked, catalog: catalog, compiler: "flowc-test").flows.map(TinyRetries.apply)
        outcome.coverage = FlowCoverage(flows: graphs)

        for test in file.tests {
            for run in test.expect.runs?.items ?? [] {
                outcome.diagnostics += ExpectedRunCheck(graphs: graphs).check(run)
            }
        }
        guard !outcome.hasFileErrors else { return (.failed, outcome) }
        return (.ready(LoadedSuite(file: file, graphs: graphs, registry: registry)), outcome)
    }
}

extension FlowTestFileOutcome {
    mutating func add(_ evaluation: TestEvaluation, test: FlowTestCase, file: String, started: Date) {
        results.append(FlowTestResult(file: file, name: test.name, failures: evaluation.failures, seconds: Date().timeIntervalSince(started)))
        coverage.record(evaluation.records)
    }
}

struct LoadedSuite: Sendable {
    var file: FlowTestFile
    var graphs: [GraphFlow]
    var registry: EventTypeRegistry
}

/// Tests should not wait for real backoff: every retry delay becomes one millisecond.
enum TinyRetries {
    static func apply(_ flow: GraphFlow) -> GraphFlow {
        var flow = flow
        flow.actions = apply(flow.actions)
        return flow
    }

    static func apply(_ scope: GraphScope) -> GraphScope {
        var scope = scope
        scope.actions = scope.actions.map { action in
            var action = action
            action.retry.delayMilliseconds = min(action.retry.delayMilliseconds, 1)
            action.retry.maxDelayMilliseconds = min(action.retry.maxDelayMilliseconds, 1)
            action.scopes = action.scopes.map(apply)
            return action
        }
        return scope
    }
}

/// Slots for results computed out of order, handed out one index at a time.
private final class OrderedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [FlowTestFileOutcome?]
    private var next = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func claimNext() -> Int? {
        lock.withLock {
            guard next < slots.count else { return nil }
            next += 1
            return next - 1
        }
    }

    func store(_ outcome: FlowTestFileOutcome, at index: Int) {
        lock.withLock { slots[index] = outcome }
    }

    func collected() -> [FlowTestFileOutcome] {
        lock.withLock { slots.compactMap { $0 } }
    }
}

/// Checks an expected run against the flows: its flow exists, its statuses are statuses,
/// its action paths are paths of that flow.
struct ExpectedRunCheck {
    static let runStatuses = ["succeeded", "failed", "cancelled"]
    static let actionStatuses = ["succeeded", "failed", "skipped", "timed_out"]

    let graphs: [GraphFlow]

    func check(_ run: ExpectedRun) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        if let status = run.status, !Self.runStatuses.contains(status) {
            diagnostics.append(unknown(.testUnknownStatus, "unknown run status `\(status)`", status, in: Self.runStatuses, at: run.statusSpan ?? run.span))
        }
        guard let flow = graphs.first(where: { $0.name == run.flow }) else {
            diagnostics.append(unknown(.testUnknownFlow, "no flow `\(run.flow)` in this test file's `flows`", run.flow, in: graphs.map(\.name), at: run.span))
            return diagnostics
        }
        let paths = Self.paths(flow.actions)
        for (index, action) in run.actions.enumerated() {
            let spans = run.actionSpans.indices.contains(index) ? run.actionSpans[index] : (key: run.span, value: run.span)
            if !paths.contains(Self.withoutIterations(action.path, known: paths)) {
                diagnostics.append(unknown(.testUnknownActionPath, "flow `\(flow.name)` has no action `\(action.path)`", action.path, in: paths.sorted(), at: spans.key))
            }
            if !Self.actionStatuses.contains(action.status) {
                diagnostics.append(unknown(.testUnknownStatus, "unknown action status `\(action.status)`", action.status, in: Self.actionStatuses, at: spans.value))
            }
        }
        return diagnostics
    }

    private func unknown(_ code: DiagnosticCode, _ message: String, _ name: String, in candidates: [String], at span: SourceSpan) -> Diagnostic {
        let diagnostic = Diagnostic.error(code, message, at: span)
        guard let close = Suggestions.closest(to: name, in: candidates) else { return diagnostic }
        return diagnostic.with(note: "did you mean `\(close)`?")
    }

    static func paths(_ scope: GraphScope) -> Set<String> {
        var paths: Set<String> = []
        for action in scope.actions {
            paths.insert(action.path)
            for nested in action.scopes { paths.formUnion(Self.paths(nested)) }
        }
        return paths
    }

    /// `stages/do/0/then/0/1` (iteration 1 of a foreach) is the action `stages/do/0/then/0`.
    static func withoutIterations(_ path: String, known: Set<String>) -> String {
        var current = Substring(path)
        while !known.contains(String(current)), let slash = current.lastIndex(of: "/") {
            let last = current[current.index(after: slash)...]
            guard !last.isEmpty, last.allSatisfy(\.isNumber) else { break }
            current = current[..<slash]
        }
        return String(current)
    }
}
