import ArgumentParser
import Catalog
import Diagnostics
import Flows
import Foundation
import YAML

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and check flow files.",
        discussion: """
            PATH is a flow file or a folder, searched recursively for *.yaml and *.yml files \
            (test files, *.test.yaml, are skipped). Diagnostics go to standard output.
            Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.
            """
    )

    @Argument(help: "Flow files or folders.")
    var paths: [String]

    @OptionGroup var options: DiagnosticOptions

    func run() throws {
        let report = try LintReport.lintForCommand(paths: paths)
        DiagnosticReporter(options: options, toStandardOutput: true)
            .report(report.diagnostics, summary: report.summary, sources: report.sources)
        throw ExitCode(report.exitCode)
    }
}

/// What `flowc lint` reports: the diagnostics of every file, in source order, and the files
/// for rendering them. ``FlowLinter`` checks each document as it is read and lets it go, which
/// is what keeps lint fast and its memory flat on large inputs.
struct LintReport {
    var diagnostics: [Diagnostic]
    var sources: SourceFiles
    var summary: DiagnosticSummary
    /// Files that could not be read: an I/O failure, exit code 2.
    var unreadableFiles: Int

    var exitCode: Int32 {
        if unreadableFiles > 0 { return 2 }
        return summary.errors > 0 ? 1 : 0
    }

    /// A path that does not exist is a usage error, exit 2.
    static func lintForCommand(paths: [String]) throws -> LintReport {
        try LintOutcome.reportingMissingPaths { try lint(paths: paths) }
    }

    static func lint(paths: [String]) throws -> LintReport {
        let read = try LintOutcome.read(paths) { $0 }
        let linted = FlowLinter.lint(read.contents, catalog: .standard)
        return LintReport(read, checkedFlows: linted.flowCount, diagnostics: linted.diagnostics)
    }
}

extension LintReport {
    /// The report of files that were `read` and checked: the reader's failures and the
    /// checker's diagnostics together, in source order.
    init<Content>(_ read: LintOutcome.ReadFiles<Content>, checkedFlows: Int, diagnostics checked: [Diagnostic]) {
        var diagnostics = read.unreadable + checked
        diagnostics.sort(by: Diagnostic.sourceOrder)
        self.init(
            diagnostics: diagnostics,
            sources: read.sources,
            summary: DiagnosticSummary(files: read.fileCount, flows: checkedFlows, diagnostics: diagnostics),
            unreadableFiles: read.unreadable.count
        )
    }
}

/// Reads and checks a set of flow files and keeps the checked flows: the front half of
/// `compile`, `graph` and `run`.
struct LintOutcome {
    var report: LintReport
    var checked: FlowCheckResult

    var diagnostics: [Diagnostic] { report.diagnostics }
    var sources: SourceFiles { report.sources }
    var summary: DiagnosticSummary { report.summary }
    var exitCode: Int32 { report.exitCode }

    /// `lint(paths:)` for a command: a path that does not exist is a usage error, exit 2.
    static func lintForCommand(paths: [String]) throws -> LintOutcome {
        try reportingMissingPaths { try lint(paths: paths) }
    }

    static func lint(paths: [String]) throws -> LintOutcome {
        let read = try read(paths) { YAMLReader.read($0) }
        // The checker returns the reader's diagnostics too.
        let checked = FlowChecker.check(read.contents, catalog: .standard)
        return LintOutcome(report: LintReport(read, checkedFlows: checked.flowCount, diagnostics: checked.diagnostics), checked: checked)
    }

    /// `body`, with a path that does not exist turned into a usage error, exit 2.
    static func reportingMissingPaths<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as InputFiles.MissingPath {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
    }

    /// The flow files below `paths`, read: what `content` made of each readable file, in
    /// order, and a diagnostic for each file that could not be read.
    struct ReadFiles<Content> {
        var contents: [Content] = []
        var sources = SourceFiles()
        var unreadable: [Diagnostic] = []
        var fileCount = 0
    }

    static func read<Content: Sendable>(_ paths: [String], _ content: @escaping @Sendable (SourceFile) -> Content) throws -> ReadFiles<Content> {
        let files = try InputFiles.flowFiles(in: paths)
        var result = ReadFiles<Content>(fileCount: files.count)
        for read in readInParallel(files, { file in (file, content(file)) }) {
            switch read {
            case .read(let (file, made)):
                result.sources.add(file)
                result.contents.append(made)
            case .unreadable(let diagnostic):
                result.unreadable.append(diagnostic)
            }
        }
        return result
    }

    enum FileRead<Content: Sendable>: Sendable {
        case read(Content)
        case unreadable(Diagnostic)
    }

    /// Reads the files, and makes `content` of each, on all cores: each file is independent
    /// until the checker compares flows across files. Results keep the order of `files`, so
    /// output is the same whatever the scheduling.
    static func readInParallel<Content: Sendable>(_ files: [String], _ content: @escaping @Sendable (SourceFile) -> Content) -> [FileRead<Content>] {
        let readOne = { @Sendable (path: String) -> FileRead<Content> in
            switch InputFiles.read(path) {
            case .read(let file): return .read(content(file))
            case .unreadable(let diagnostic): return .unreadable(diagnostic)
            }
        }
        let results = ReadResults<FileRead<Content>>(count: files.count)
        let workers = min(files.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else {
            return files.map(readOne)
        }
        // Files are handed out one at a time, so one large file does not hold up a whole share.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claimNext() {
                results.store(readOne(files[index]), at: index)
            }
        }
        return results.collected()
    }

    private final class ReadResults<Result>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Result?]
        private var next = 0

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func claimNext() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard next < slots.count else { return nil }
            next += 1
            return next - 1
        }

        func store(_ read: Result, at index: Int) {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = read
        }

        /// Every slot is filled once `concurrentPerform` has returned.
        func collected() -> [Result] {
            lock.lock()
            defer { lock.unlock() }
            return slots.compactMap { $0 }
        }
    }
}
