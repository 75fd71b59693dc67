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
            2 usage or I/O failure (an output that cannot be written, a refused state file).
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

    @Option(help: "A state file (SQLite): threshold sides, processed events, the input position, output lengths and run history survive restarts and crashes.")
    var state: String?

    @Option(name: .customLong("checkpoint-events"), help: ArgumentHelp("With --state, commit at least every N events (also every half second and when the input is idle).", valueName: "N"))
    var checkpointEvents: Int = CheckpointPolicy().events

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
        if checkpointEvents < 1 { throw ValidationError("--checkpoint-events must be at least 1") }
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
        let session = try openState(flows: flows)
        defer { session?.close() }
        var outputs = try makeOutputs(redactor: redactor, session: session)
        outputs.history = session?.history
        let services = RunServices(env: ProcessInfo.processInfo.environment, secrets: secretValues, outputs: outputs, dryRun: dryRun)
        let engine = Engine(
            flows: flows, services: services, registry: registry, clock: RunClock(rawValue: clock) ?? .event,
            thresholds: session?.triggerState ?? InMemoryThresholdStore(), window: session?.triggerState ?? InMemoryEventWindow(),
            inputName: events == "-" ? "stdin" : events
        )

        let descriptor: Int32
        if events == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = open(events, O_RDONLY | O_CLOEXEC)
            if descriptor < 0 {
                Terminal.printError("error: cannot read `\(events)`: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        let (offset, line) = try resumePosition(session: session, descriptor: descriptor)

        let stop = StopFlag()
        let signals = Self.installSignalHandlers(stop)
        defer { signals.forEach { $0.cancel() } }

        let reader = LineReader(descriptor: descriptor, follow: follow, stop: stop, offset: offset, lineNumber: line)
        let pump = EventPump(engine: engine, reader: reader, session: session, policy: CheckpointPolicy(events: checkpointEvents))
        let counts: RunCounts
        do {
            counts = try pump.run(flushWhenIdle: outputs)
        } catch {
            Terminal.printError("error: \(redactor.redact(error.description))")
            throw ExitCode(2)
        }
        if !options.quiet { Terminal.printError(redactor.redact(counts.summary)) }
        let failures = outputs.writeFailures
        for failure in failures { Terminal.printError("error: \(failure)") }
        if !failures.isEmpty { throw ExitCode(2) }
        if counts.rejected > 0 { throw ExitCode(1) }
    }

    /// Opens `--state`, reconciled with the flows about to run; a refused file is exit 2.
    private func openState(flows: [CompiledFlow]) throws -> DurableSession? {
        guard let state else { return nil }
        do {
            let session = try DurableSession(path: state, flows: flows)
            if !options.quiet {
                for dropped in session.dropped { Terminal.printError("flowc run: \(dropped)") }
            }
            return session
        } catch {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
    }

    /// With a state file, `--events FILE` resumes after the last committed line.
    private func resumePosition(session: DurableSession?, descriptor: Int32) throws -> (Int64, Int) {
        guard let session, events != "-" else { return (0, 0) }
        let position: ResumePosition
        do {
            position = try session.resumePosition(forInput: events)
        } catch {
            Terminal.printError("error: \(error.description)")
            throw ExitCode(2)
        }
        switch position {
        case .start:
            return (0, 0)
        case .restartedInput(let previousLine):
            if !options.quiet {
                Terminal.printError("flowc run: `\(events)` is not the file the state read \(previousLine) lines of (replaced or cut); reading it from the start, repeated events are dropped as duplicates")
            }
            return (0, 0)
        case .resumed(let offset, let line):
            guard lseek(descriptor, off_t(offset), SEEK_SET) == offset else {
                Terminal.printError("error: cannot seek `\(events)` to byte \(offset): \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            if line > 0 && !options.quiet {
                Terminal.printError("flowc run: resuming `\(events)` after line \(line) (from the state file)")
            }
            return (offset, Int(line))
        }
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

    /// Output files; with a state file each is cut back to its committed length and appended to.
    private func makeOutputs(redactor: Redactor, session: DurableSession?) throws -> RunOutputs {
        func sink(_ path: String) throws -> FileLineSink {
            do {
                if let session { return try session.openOutput(path: path) }
                return try FileLineSink(path: path)
            } catch {
                Terminal.printError("error: \(error)")
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
