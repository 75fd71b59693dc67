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

/// What `flowc lint` reports. Unlike ``LintOutcome`` it keeps no flows: ``FlowLinter`` checks
/// each document as it is read and lets it go, which is what keeps lint fast and its memory
/// flat on large inputs.
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
        do {
            return try lint(paths: paths)
        } catch let error as InputFiles.MissingPath {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
    }

    static func lint(paths: [String]) throws -> LintReport {
        let paths = try InputFiles.flowFiles(in: paths)
        var sources = SourceFiles()
        var files: [SourceFile] = []
        var diagnostics: [Diagnostic] = []
        var unreadable = 0
        for read in LintOutcome.readInParallel(paths, { $0 }) {
            switch read {
            case .read(let file):
                sources.add(file)
                files.append(file)
            case .unreadable(let diagnostic):
                unreadable += 1
                diagnostics.append(diagnostic)
            }
        }
        let linted = FlowLinter.lint(files, catalog: .standard)
        diagnostics += linted.diagnostics
        diagnostics.sort(by: Diagnostic.sourceOrder)
        let summary = DiagnosticSummary(files: paths.count, flows: linted.flowCount, diagnostics: diagnostics)
        return LintReport(diagnostics: diagnostics, sources: sources, summary: summary, unreadableFiles: unreadable)
    }
}

/// Reads and checks a set of flow files: the front half of `lint`, `compile`, `graph` and `run`.
struct LintOutcome {
    var diagnostics: [Diagnostic]
    var sources: SourceFiles
    var summary: DiagnosticSummary
    var checked: FlowCheckResult
    /// Files that could not be read: an I/O failure, exit code 2.
    var unreadableFiles: Int

    var exitCode: Int32 {
        if unreadableFiles > 0 { return 2 }
        return summary.errors > 0 ? 1 : 0
    }

    /// `lint(paths:)` for a command: a path that does not exist is a usage error, exit 2.
    static func lintForCommand(paths: [String]) throws -> LintOutcome {
        do {
            return try lint(paths: paths)
        } catch let error as InputFiles.MissingPath {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
    }

    static func lint(paths: [String]) throws -> LintOutcome {
        let files = try InputFiles.flowFiles(in: paths)
        var sources = SourceFiles()
        var streams: [YAMLStream] = []
        var diagnostics: [Diagnostic] = []
        var unreadable = 0
        for read in readInParallel(files, { YAMLReader.read($0) }) {
            switch read {
            case .read(let stream):
                sources.add(stream.file)
                streams.append(stream)
            case .unreadable(let diagnostic):
                unreadable += 1
                diagnostics.append(diagnostic)
            }
        }
        // The checker returns the reader's diagnostics too, in source order.
        let checked = FlowChecker.check(streams, catalog: .standard)
        diagnostics += checked.diagnostics
        diagnostics.sort(by: Diagnostic.sourceOrder)
        let summary = DiagnosticSummary(files: files.count, flows: checked.flowCount, diagnostics: diagnostics)
        return LintOutcome(diagnostics: diagnostics, sources: sources, summary: summary, checked: checked, unreadableFiles: unreadable)
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
