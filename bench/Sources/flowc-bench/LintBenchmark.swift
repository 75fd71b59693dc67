import Catalog
import Diagnostics
import Flows
import Foundation
import YAML

/// Lints a generated corpus of flows and prints MB/s next to libyaml's raw event-parse speed
/// on the same bytes, for the 1× corpus (2,000 flows, about 1.2 MB) and the 10× corpus, so
/// that both the ratio and linearity are visible. Each corpus is linted as one file and as
/// one file per flow (a repository's layout).
/// `flowc-bench lint [--flows N] [--repeat R] [--clock cpu|wall]`:
/// - "1 core" figures run everything on one thread and time it with `--clock` (`cpu`, the
///   default, is the thread's CPU time, which other processes on a busy machine disturb far
///   less than the wall clock);
/// - "all cores" figures read and check on every core, as `flowc lint` does, and are
///   wall-clock time, since several threads work.
/// "read" composes the YAML trees (libyaml and the composer); "lint" is what `flowc lint` runs
/// (``FlowLinter``: every check, document by document); "structural" is lint without typing.
enum LintBenchmark {
    static func run(_ arguments: [String]) {
        let flows = option("--flows", in: arguments) ?? 2_000
        let repeats = option("--repeat", in: arguments) ?? 5
        let clock: Clock = arguments.contains("wall") ? .wall : .cpu
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("lint benchmark: \(flows) flows per corpus, best of \(repeats) runs")
        print("1 core: one thread, \(clock) time; all cores: \(cores) threads, wall-clock time; MB/s")
        print("all cores: (n) is the process CPU time over the wall-clock time, the cores really used")
        print("corpus  layout         bytes      flows  libyaml  read    structural  lint    lint           lint/libyaml          diagnostics")
        print("                                         1 core   1 core  1 core      1 core  \(cores) cores        1 core  \(cores) cores")
        for scale in [1, 10] {
            let count = flows * scale
            let oneFile = [SourceFile(path: "corpus.yaml", bytes: CorpusGenerator.corpus(flowCount: count))]
            let perFlow = (0..<count).map { index in
                SourceFile(path: "flow-\(index).yaml", bytes: Array(CorpusGenerator.flow(index).utf8))
            }
            for (layout, files) in [("one file", oneFile), ("file per flow", perFlow)] {
                let bytes = files.reduce(0) { $0 + $1.bytes.count }
                let megabytes = Double(bytes) / 1_000_000
                var events = 0
                let raw = best(of: repeats, clock: clock) { events = files.reduce(0) { $0 + YAMLReader.rawEventCount($1.bytes) } }
                let read = best(of: repeats, clock: clock) {
                    for file in files { _ = YAMLReader.read(file) { _ in } }
                }
                let structural = best(of: repeats, clock: clock) { _ = lint(files, workers: 1, typing: false) }
                var result = (flows: 0, diagnostics: 0)
                let serial = best(of: repeats, clock: clock) { result = lint(files, workers: 1, typing: true) }
                var busy = 0.0
                let parallel = best(of: repeats, clock: .wall) {
                    let start = Clock.process.now()
                    _ = lint(files, workers: cores, typing: true)
                    busy = Double(Clock.process.now() &- start) / 1e9
                }
                let rawSpeed = megabytes / raw
                print(
                    "\(scale)x".padded(7), layout.padded(14), String(bytes).padded(10), String(result.flows).padded(6),
                    format(rawSpeed).padded(8), format(megabytes / read).padded(7), format(megabytes / structural).padded(11), format(megabytes / serial).padded(7),
                    (format(megabytes / parallel) + " (\(format(busy / parallel)))").padded(14),
                    (format(megabytes / serial / rawSpeed * 100) + "%").padded(7),
                    (format(megabytes / parallel / rawSpeed * 100) + "%").padded(13),
                    result.diagnostics, "(\(events) yaml events)")
            }
        }
    }

    /// One serial lint of the 10× corpus, for a profiler.
    static func profile(_ arguments: [String]) {
        let count = option("--flows", in: arguments) ?? 20_000
        let files = [SourceFile(path: "corpus.yaml", bytes: CorpusGenerator.corpus(flowCount: count))]
        let typing = !arguments.contains("--structural")
        let readOnly = arguments.contains("--read")
        let start = Clock.cpu.now()
        if readOnly { for file in files { _ = YAMLReader.read(file) { _ in } } } else { _ = lint(files, workers: 1, typing: typing) }
        let seconds = Double(Clock.cpu.now() &- start) / 1e9
        print(format(Double(files[0].bytes.count) / 1e6 / seconds), "MB/s")
    }

    /// Lints `files` as `flowc lint` does (``FlowLinter``), on `workers` threads; with
    /// `typing: false`, without typing, for the structural checks' cost.
    private static func lint(_ files: [SourceFile], workers: Int, typing: Bool) -> (flows: Int, diagnostics: Int) {
        let result = FlowLinter.lint(files, catalog: .standard, workers: workers, typing: typing)
        return (result.flowCount, result.diagnostics.count)
    }

    private static func option(_ name: String, in arguments: [String]) -> Int? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return Int(arguments[index + 1])
    }

    enum Clock: String, CustomStringConvertible {
        case cpu, wall
        /// CPU time of every thread of the process.
        case process

        var description: String {
            switch self {
            case .cpu: return "thread CPU"
            case .wall: return "wall-clock"
            case .process: return "process CPU"
            }
        }

        /// Nanoseconds on this clock.
        func now() -> UInt64 {
            switch self {
            case .wall:
                return DispatchTime.now().uptimeNanoseconds
            case .cpu, .process:
                var time = timespec()
                clock_gettime(self == .cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID, &time)
                return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
            }
        }
    }

    /// The fastest of several runs, in seconds: the least disturbed by the rest of the machine.
    static func best(of runs: Int, clock: Clock = .wall, _ body: () -> Void) -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(1, runs) {
            let start = clock.now()
            body()
            let elapsed = Double(clock.now() &- start) / 1e9
            fastest = min(fastest, elapsed)
        }
        return fastest
    }

    static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

/// Deterministic flows in the shape of the examples: every trigger of the catalog, actions
/// with `with`, `run_after`, retries and nested control actions, about 600 bytes each.
enum CorpusGenerator {
    static func corpus(flowCount: Int) -> [UInt8] {
        var text = ""
        text.reserveCapacity(flowCount * 620)
        for index in 0..<flowCount {
            if index > 0 { text += "---\n" }
            text += flow(index)
        }
        return Array(text.utf8)
    }

    static func flow(_ index: Int) -> String {
        let trigger: String
        switch index % 4 {
        case 0:
            trigger = """
                trigger:
                  type: segment.threshold.crossed
                  segment: Segment \(index)
                  threshold: \(1_000 + index)
                  direction: up

                """
        case 1:
            trigger = """
                trigger:
                  type: datasource.refresh.failed
                  datasource: [crm-\(index), "erp-*"]

                """
        case 2:
            trigger = """
                trigger:
                  type: measure.threshold.crossed
                  measure: Revenue \(index)
                  threshold: \(index).5
                  direction: down

                """
        default:
            trigger = """
                trigger:
                  type: refresh.completed
                  status: failed
                  scope: [datasources, segments]

                """
        }
        return """
            flow: generated-\(index)
            \(trigger)conditions:
              - event.data.status == 'failed'
            actions:
              - id: notify
                type: http
                with:
                  method: POST
                  url: ${{ env.WEBHOOK }}
                  json: { text: "Object \(index): ${{ event.type }}" }
                retry: { attempts: 3, backoff: exponential, delay: 1s }
                timeout: 10s
              - id: check
                type: if
                run_after: { notify: [succeeded, failed] }
                condition: actions.notify.status != 'succeeded'
                then:
                  - type: log
                    with: { message: "notify failed for \(index)", level: warning }

            """
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
