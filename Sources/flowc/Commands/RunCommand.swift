import ArgumentParser
import CEL
import Diagnostics
import Flows
import Foundation
import Graph
import Runtime

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run flows against a stream of CloudEvents.",
        discussion: """
            Reads NDJSON CloudEvents (--events, default stdin), runs the flows whose triggers \
            fire, writes emitted events to --out (default stdout) and run records to --runs. \
            Rejected lines are reported on stderr and copied to --dead-letter. Counts are \
            printed to stderr at exit; SIGINT or SIGTERM finish the current event and exit 0.
            Exit codes: 0 all input processed, 1 some input rejected or a flow failed to load, \
            2 usage or I/O failure.
            """
    )

    @Argument(help: "Flow files or folders.")
    var paths: [String] = []

    @Option(help: "A compiled graph from `flowc compile`, instead of flow files.")
    var compiled: String?

    @Option(help: "NDJSON CloudEvents to read, or - for stdin.")
    var events: String = "-"

    @Option(help: "Where emitted events go, or - for stdout.")
    var out: String = "-"

    @Option(help: "Write each run record as an NDJSON line to this file.")
    var runs: String?

    @Option(name: .customLong("dead-letter"), help: "Copy rejected input lines to this file.")
    var deadLetter: String?

    @Option(help: "A file of NAME=value lines, readable as secrets.NAME and never printed.")
    var secrets: String?

    @Option(help: "The clock of `now`: event (the event's time) or wall.")
    var clock: String = "event"

    @Option(help: "A state file (SQLite); not supported by this build, state is kept in memory.")
    var state: String?

    @Flag(name: .customLong("dry-run"), help: "Do not send http requests; everything else runs.")
    var dryRun = false

    @Flag(help: "Keep reading --events as the file grows.")
    var follow = false

    @OptionGroup var options: DiagnosticOptions

    func validate() throws {
        if paths.isEmpty && compiled == nil { throw ValidationError("give flow files or --compiled FILE") }
        if !paths.isEmpty && compiled != nil { throw ValidationError("give flow files or --compiled FILE, not both") }
        if RunClock(rawValue: clock) == nil { throw ValidationError("--clock is `event` or `wall`, not `\(clock)`") }
        if follow && events == "-" { throw ValidationError("--follow needs --events FILE") }
        if state != nil { throw ValidationError("--state is not supported yet: state is kept in memory") }
    }

    func run() throws {
        let graph = try loadGraph()
        let registry = EventTypeRegistry()
        var flows: [CompiledFlow] = []
        var loadFailed = false
        for flow in graph.flows {
            do {
                flows.append(try CompiledFlow(flow, registry: registry))
            } catch {
                Terminal.printError(error.description)
                loadFailed = true
            }
        }
        if loadFailed { throw ExitCode(1) }

        let secretValues = try readSecrets()
        let redactor = Redactor(secrets: Array(secretValues.values))
        let outputs = try makeOutputs(redactor: redactor)
        let services = RunServices(env: ProcessInfo.processInfo.environment, secrets: secretValues, outputs: outputs, dryRun: dryRun)
        let engine = Engine(flows: flows, services: services, registry: registry, clock: RunClock(rawValue: clock) ?? .event, inputName: events == "-" ? "stdin" : events)

        let descriptor: Int32
        if events == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = open(events, O_RDONLY)
            if descriptor < 0 {
                Terminal.printError("error: cannot read `\(events)`: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }

        let stop = StopFlag()
        let signals = Self.installSignalHandlers(stop)
        defer { signals.forEach { $0.cancel() } }

        let reader = LineReader(descriptor: descriptor, follow: follow, stop: stop)
        reader.onIdle = { outputs.flush() }
        while let line = reader.next() {
            if reader.lastLineTooLong {
                engine.reject(line: String(decoding: line, as: UTF8.self), number: reader.lineNumber, reason: "line longer than \(reader.maxLineLength) bytes")
                continue
            }
            line.withUnsafeBufferPointer { engine.process(bytes: $0, number: reader.lineNumber) }
            engine.waitForRoom()
        }
        let counts = engine.finishBlocking()
        if !options.quiet { Terminal.printError(redactor.redact(counts.summary)) }
        if counts.rejected > 0 { throw ExitCode(1) }
    }

    /// Lints and lowers the flow files, or reads `--compiled`.
    private func loadGraph() throws -> FlowGraph {
        if let compiled {
            guard let data = FileManager.default.contents(atPath: compiled) else {
                Terminal.printError("error: cannot read `\(compiled)`")
                throw ExitCode(2)
            }
            switch RunGraphLoader.decode(data) {
            case .success(let graph): return graph
            case .failure(let error):
                Terminal.printError("error: `\(compiled)`: \(error.description)")
                throw ExitCode(1)
            }
        }
        let outcome = try LintOutcome.lintForCommand(paths: paths)
        if !outcome.diagnostics.isEmpty || outcome.exitCode != 0 {
            var quietOptions = options
            quietOptions.quiet = true
            DiagnosticReporter(options: quietOptions, toStandardOutput: false)
                .report(outcome.diagnostics, summary: outcome.summary, sources: outcome.sources)
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
        switch RunGraphLoader.lower(outcome) {
        case .success(let graph): return graph
        case .failure(let error):
            Terminal.printError("error: \(error.description)")
            throw ExitCode(1)
        }
    }

    private func readSecrets() throws -> [String: String] {
        guard let secrets else { return [:] }
        guard let data = FileManager.default.contents(atPath: secrets) else {
            Terminal.printError("error: cannot read secrets file `\(secrets)`")
            throw ExitCode(2)
        }
        var values: [String: String] = [:]
        for (offset, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                Terminal.printError("error: \(secrets):\(offset + 1): expected NAME=value")
                throw ExitCode(2)
            }
            values[line[..<equals].trimmingCharacters(in: .whitespaces)] = String(line[line.index(after: equals)...])
        }
        return values
    }

    private func makeOutputs(redactor: Redactor) throws -> RunOutputs {
        func sink(_ path: String) throws -> FileLineSink {
            do {
                return try FileLineSink(path: path)
            } catch {
                Terminal.printError("error: cannot write `\(path)`")
                throw ExitCode(2)
            }
        }
        let events: any LineSink = out == "-" ? FileLineSink(handle: .standardOutput) : try sink(out)
        return RunOutputs(
            events: events,
            runs: try runs.map(sink),
            log: FileLineSink.standardError,
            deadLetter: try deadLetter.map(sink),
            redactor: redactor
        )
    }

    /// SIGINT and SIGTERM stop reading; runs in flight finish, counts are printed, exit 0.
    private static func installSignalHandlers(_ stop: StopFlag) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
    }
}

/// Reading graphs for `run`: compiled JSON, or flows lowered from a lint outcome.
enum RunGraphLoader {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func decode(_ data: Data) -> Result<FlowGraph, LoadError> {
        do {
            return .success(try GraphIO.decode(Array(data)))
        } catch {
            return .failure(LoadError(description: error.description))
        }
    }

    static func lower(_ outcome: LintOutcome) -> Result<FlowGraph, LoadError> {
        .success(GraphLowering.lower(outcome.checked, compiler: FlowcVersion.current))
    }
}
