import Catalog
import Diagnostics
import Flows
import Foundation
import Graph
import Runtime
import YAML

/// `flowc-bench run [--events N] [--flows F]`: the interpreter's throughput on one input
/// stream. It writes N status events (the 400 sample events repeated with fresh ids, so the
/// mix of types is the sample's) to a file once, lowers F variations of the example flows,
/// and runs them in dry-run mode with discarded outputs, timing from the first line read to
/// the last run finished. Prints events/s and the peak resident memory (VmHWM).
/// `flowc-bench run [--events N] [--flows F] [--same-keys] [--state]`; `--state` runs with a
/// fresh SQLite state file (checkpoints as `flowc run --state` makes them).
enum RunBenchmark {
    static func run(_ arguments: [String]) {
        let count = option("--events", in: arguments) ?? 1_000_000
        let flowCount = option("--flows", in: arguments) ?? 100
        let root = packageRoot()
        guard let path = eventsFile(count: count, root: root) else {
            print("cannot write the event file")
            return
        }
        // `--same-keys`: every copy watches what the original watches, so each event starts
        // runs in a dozen copies: a benchmark of runs rather than of the event path.
        let graphs = flows(count: flowCount, root: root, sameKeys: arguments.contains("--same-keys"))
        let registry = EventTypeRegistry()
        var compiled: [CompiledFlow] = []
        for graph in graphs {
            do {
                compiled.append(try CompiledFlow(graph, registry: registry))
            } catch {
                print("flow does not load: \(error.description)")
            }
        }
        let emitted = DiscardingLineSink()
        var outputs = RunOutputs(events: emitted, runs: DiscardingLineSink(), log: DiscardingLineSink())
        var session: DurableSession?
        if arguments.contains("--state") {
            let statePath = NSTemporaryDirectory() + "flowc-bench-state.db"
            for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: statePath + suffix) }
            do {
                session = try DurableSession(path: statePath, flows: compiled)
                _ = try session?.resumePosition(forInput: path)
            } catch {
                print("cannot open the state file: \(error.description)")
                return
            }
            outputs.history = session?.history
        }
        defer { session?.close() }
        let services = RunServices(env: ["SALES_WEBHOOK": "http://127.0.0.1:9/", "OPS_WEBHOOK": "http://127.0.0.1:9/", "AUDIT_URL": "http://127.0.0.1:9/", "METRICS_URL": "http://127.0.0.1:9/", "FINANCE_API": "http://127.0.0.1:9/", "DASHBOARD_URL": "http://127.0.0.1:9/"], secrets: [:], outputs: outputs, dryRun: true)
        let engine = Engine(
            flows: compiled, services: services, registry: registry,
            thresholds: session?.triggerState ?? InMemoryThresholdStore(), window: session?.triggerState ?? InMemoryEventWindow(), inputName: path
        )
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        print("run benchmark: \(count) events, \(compiled.count) flows, dry run, one input thread, " + (session == nil ? "state in memory" : "state in SQLite"))
        let start = DispatchTime.now().uptimeNanoseconds
        let startCPU = threadCPUSeconds()
        let reader = LineReader(descriptor: descriptor)
        let counts: RunCounts
        do {
            counts = try EventPump(engine: engine, reader: reader, session: session).run(flushWhenIdle: outputs)
        } catch {
            print("checkpoint failed: \(error.description)")
            return
        }
        let readCPU = threadCPUSeconds() - startCPU
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(counts.summary)
        print("emitted \(emitted.count) events" + (session.map { ", \($0.commits) state commits" } ?? ""))
        print(String(format: "%.2f s, %.0f events/s, peak RSS %@", seconds, Double(counts.eventsRead) / seconds, peakMemory()))
        // The dispatcher's own rate: runs execute on other threads, and on a busy machine the
        // wall clock also counts time the reader waited for a core.
        print(String(format: "the reader used %.2f s of CPU (%.0f events/s on its core)", readCPU, Double(counts.eventsRead) / readCPU))
    }

    private static func option(_ name: String, in arguments: [String]) -> Int? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return Int(arguments[index + 1])
    }

    private static func packageRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The sample events repeated with fresh ids, written once to a temporary file.
    private static func eventsFile(count: Int, root: URL) -> String? {
        let path = NSTemporaryDirectory() + "flowc-bench-events-\(count).ndjson"
        if FileManager.default.fileExists(atPath: path) { return path }
        guard let sample = try? String(contentsOf: root.appendingPathComponent("flows/samples/events.ndjson"), encoding: .utf8) else { return nil }
        let lines = sample.split(separator: "\n").map(String.init)
        guard !lines.isEmpty, FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else { return nil }
        var buffer = ""
        for index in 0..<count {
            let line = lines[index % lines.count]
            buffer += line.replacingOccurrences(of: "\"id\":\"", with: "\"id\":\"\(index / lines.count)-")
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        handle.write(Data(buffer.utf8))
        try? handle.close()
        return path
    }

    /// `count` variations of the example flows (not their `.test.yaml` files): renamed,
    /// thresholds shifted.
    private static func flows(count: Int, root: URL, sameKeys: Bool) -> [GraphFlow] {
        let folder = root.appendingPathComponent("flows")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }.sorted()
        let texts = names.compactMap { try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        guard !texts.isEmpty else { return [] }
        var documents: [String] = []
        for index in 0..<count {
            var text = texts[index % texts.count]
            text = text.replacingOccurrences(of: "\nflow: ", with: "\nflow: v\(index)-")
            if !sameKeys {
                // Each copy watches its own segment, measure, data source or channel, as a
                // real set of flows does: most events then fire no copy.
                for (from, to) in [
                    ("segment: VIP Customers", "segment: VIP Customers v\(index)"),
                    ("measure: Forecast Revenue", "measure: Forecast Revenue v\(index)"),
                    ("datasource: [\"Sales*\", CRM Contacts]", "datasource: [\"Sales v\(index)*\"]"),
                    ("type: datasource.refresh.succeeded", "type: datasource.refresh.succeeded\n  datasource: [Source v\(index)]"),
                    ("event.data.channel == \"email\"", "event.data.channel == \"email v\(index)\""),
                    ("submission: scheduled", "submission: manual"),
                    ("  status: any ", "  status: cancelled "),
                    ("type: unification.completed", "type: unification.completed\n  status: cancelled\nconditions:\n  - has(event.data.unifiedProfiles) && event.data.unifiedProfiles == \(index)"),
                ] {
                    text = text.replacingOccurrences(of: from, with: to)
                }
            }
            documents.append(text)
        }
        let corpus = documents.joined(separator: "\n---\n")
        let file = SourceFile(path: "bench-flows.yaml", bytes: Array(corpus.utf8))
        let checked = FlowChecker.check([YAMLReader.read(file)], catalog: .standard)
        let errors = checked.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { print("\(errors.count) lint errors in the generated flows; first: \(errors[0].message)") }
        return GraphLowering.lower(checked, compiler: "bench").flows
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func peakMemory() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "unknown" }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.map { $0.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }
}
