import Catalog
import Diagnostics
import Flows
import Foundation
import YAML

/// Lints a generated corpus of flows and prints MB/s next to libyaml's raw event-parse speed
/// on the same bytes, for the 1× corpus (2,000 flows, about 1.2 MB) and the 10× corpus, so
/// that both the ratio and linearity are visible. `flowc-bench lint [--flows N] [--repeat R]`.
enum LintBenchmark {
    static func run(_ arguments: [String]) {
        let flows = option("--flows", in: arguments) ?? 2_000
        let repeats = option("--repeat", in: arguments) ?? 5
        print("lint benchmark: \(flows) flows per corpus, best of \(repeats) runs")
        print("corpus      bytes      flows  libyaml MB/s  lint MB/s  lint/libyaml  diagnostics")
        for scale in [1, 10] {
            let corpus = CorpusGenerator.corpus(flowCount: flows * scale)
            let megabytes = Double(corpus.count) / 1_000_000
            var events = 0
            let raw = best(of: repeats) { events = YAMLReader.rawEventCount(corpus) }
            var diagnostics = 0
            var checkedFlows = 0
            let lint = best(of: repeats) {
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
    }

    private static func option(_ name: String, in arguments: [String]) -> Int? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return Int(arguments[index + 1])
    }

    /// The fastest of several runs, in seconds: the least disturbed by the rest of the machine.
    static func best(of runs: Int, _ body: () -> Void) -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
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
        text.reserveCapacity(flowCount * 640)
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
            # Generated flow \(index) for the lint benchmark.
            flow: generated-\(index)
            description: Notify the team when something happens to object \(index).
            concurrency: queued
            \(trigger)conditions:
              - event.data.status == 'succeeded' || event.data.status == 'failed'
            vars:
              headline: "Object \(index) changed at ${{ now }}"
            actions:
              - id: notify
                type: http
                with:
                  method: POST
                  url: ${{ env.WEBHOOK }}
                  headers: { X-Flow: generated-\(index) }
                  json: { text: "${{ vars.headline }}", index: \(index) }
                retry: { attempts: 3, backoff: exponential, delay: 1s, max_delay: 30s }
                timeout: 10s
              - id: audit
                type: emit
                run_after: { notify: [succeeded, failed] }
                with:
                  type: bench.audit
                  data: { ok: "${{ actions.notify.status == 'succeeded' }}" }
              - id: check
                type: if
                condition: actions.notify.status != 'succeeded'
                then:
                  - type: log
                    with: { message: "notify failed for object \(index)", level: warning }

            """
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
