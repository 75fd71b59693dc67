import Catalog
import Diagnostics
import Flows
import Foundation
import YAML

/// Lints a generated corpus of flows and prints MB/s next to libyaml's raw event-parse speed
/// on the same bytes, for the 1× corpus (2,000 flows, about 1.2 MB) and the 10× corpus, so
/// that both the ratio and linearity are visible.
/// `flowc-bench lint [--flows N] [--repeat R] [--clock cpu|wall] [--parallel]`: `cpu` (the default) times
/// the thread's CPU time, which other processes on a busy machine disturb far less than the
/// wall clock; both clocks measure one core, since reading and checking one file is serial.
enum LintBenchmark {
    static func run(_ arguments: [String]) {
        let flows = option("--flows", in: arguments) ?? 2_000
        let repeats = option("--repeat", in: arguments) ?? 5
        let clock: Clock = arguments.contains("wall") ? .wall : .cpu
        print("lint benchmark: \(flows) flows per corpus, best of \(repeats) runs, \(clock) time")
        print("corpus      bytes      flows  libyaml MB/s  lint MB/s  lint/libyaml  diagnostics")
        for scale in [1, 10] {
            let corpus = CorpusGenerator.corpus(flowCount: flows * scale)
            let megabytes = Double(corpus.count) / 1_000_000
            var events = 0
            let raw = best(of: repeats, clock: clock) { events = YAMLReader.rawEventCount(corpus) }
            var diagnostics = 0
            var checkedFlows = 0
            let lint = best(of: repeats, clock: clock) {
                let file = SourceFile(path: "corpus.yaml", bytes: corpus)
                let result = FlowChecker.check([YAMLReader.read(file)], catalog: .standard)
                diagnostics = result.diagnostics.count
                checkedFlows = result.flows.count
            }
            let rawSpeed = megabytes / raw
            let lintSpeed = megabytes / lint
            print(
                "\(String(scale) + "x")".padded(10),
                String(corpus.count).padded(10),
                String(checkedFlows).padded(6),
                format(rawSpeed).padded(13),
                format(lintSpeed).padded(10),
                format(lintSpeed / rawSpeed * 100).padded(11) + "%",
                diagnostics,
                "(\(events) yaml events)"
            )
        }
        if arguments.contains("--parallel") { runParallel(flows: flows, repeats: repeats) }
    }

    /// The corpus as one file per flow, read and parsed on every core as `flowc lint` does
    /// for a folder, then checked together; wall-clock time, since several cores work.
    private static func runParallel(flows: Int, repeats: Int) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("one file per flow, read on \(cores) cores, checked on one (wall-clock):")
        for scale in [1, 10] {
            let files = (0..<flows * scale).map { index in
                SourceFile(path: "flow-\(index).yaml", bytes: Array(CorpusGenerator.flow(index).utf8))
            }
            let megabytes = Double(files.reduce(0) { $0 + $1.bytes.count }) / 1_000_000
            let serial = best(of: repeats, clock: .wall) { _ = check(files, workers: 1) }
            var diagnostics = 0
            let parallel = best(of: repeats, clock: .wall) { diagnostics = check(files, workers: cores) }
            print(
                "\(scale)x".padded(10), "serial", format(megabytes / serial).padded(7), "MB/s,",
                "parallel", format(megabytes / parallel).padded(7), "MB/s,", diagnostics, "diagnostics")
        }
    }

    private static func check(_ files: [SourceFile], workers: Int) -> Int {
        let streams = StreamSlots(count: files.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: files.count, by: workers) {
                streams.store(YAMLReader.read(files[index]), at: index)
            }
        }
        return FlowChecker.check(streams.collected(), catalog: .standard).diagnostics.count
    }

    private final class StreamSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [YAMLStream?]

        init(count: Int) { slots = Array(repeating: nil, count: count) }

        func store(_ stream: YAMLStream, at index: Int) {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = stream
        }

        func collected() -> [YAMLStream] {
            lock.lock()
            defer { lock.unlock() }
            return slots.compactMap { $0 }
        }
    }

    private static func option(_ name: String, in arguments: [String]) -> Int? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return Int(arguments[index + 1])
    }

    enum Clock: String, CustomStringConvertible {
        case cpu, wall

        var description: String { self == .cpu ? "thread CPU" : "wall-clock" }

        /// Nanoseconds on this clock.
        func now() -> UInt64 {
            switch self {
            case .wall:
                return DispatchTime.now().uptimeNanoseconds
            case .cpu:
                var time = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
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
