import Diagnostics
@testable import YAML

func read(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLStream {
    YAMLReader.read(SourceFile(path: "test.yaml", text: text), limits: limits)
}

func read(bytes: [UInt8], limits: YAMLLimits = YAMLLimits()) -> YAMLStream {
    YAMLReader.read(SourceFile(path: "test.yaml", bytes: bytes), limits: limits)
}

extension SourceSpan {
    /// `line:column-endLine:endColumn`, 1-based, end exclusive: short enough for expectations.
    var compact: String { "\(start.line):\(start.column)-\(end.line):\(end.column)" }
}

extension YAMLStream {
    var root: YAMLNode? { documents.first?.root }
    var codes: [DiagnosticCode] { diagnostics.map(\.code) }
    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
}

extension YAMLNode {
    var text: String? { scalar?.value }
    func at(_ index: Int) -> YAMLNode? {
        guard let items = sequence, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

/// The flow of SPEC section 2, used as a realistic input.
let sampleFlow = """
flow: vip-segment-growth            # required; [a-z0-9][a-z0-9._-]*, unique in the flow set
description: Tell sales when the VIP segment passes 10,000 members.
enabled: true                       # default true; a disabled flow is checked but never runs
concurrency: queued                 # single | queued | parallel (default queued), see 8.4
trigger:                            # required; exactly one
  type: segment.threshold.crossed   # a trigger from the catalog (section 5)
  segment: VIP Customers            # the trigger's parameters, typed by the catalog
  threshold: 10000
  direction: up
conditions:                         # optional; all must hold; each a bool expression
  - event.data.memberCount < 1000000
  - ${{ now.getDayOfWeek("Europe/Oslo") in [1, 2, 3, 4, 5] }}
vars:                               # optional; computed in order, once per run; typed
  headline: "VIP segment crossed ${{ trigger.threshold }} (${{ trigger.previous }} -> ${{ trigger.current }})"
actions:                            # required, non-empty
  - id: notify
    type: http
    with:
      method: POST
      url: ${{ env.SALES_WEBHOOK }}
      json: { text: "${{ vars.headline }}" }
    retry: { attempts: 3, backoff: exponential, delay: 1s, max_delay: 30s }
    timeout: 10s
  - id: audit
    type: emit
    run_after: { notify: [succeeded, failed] }
    with:
      type: sales.vip.notified
      data: { ok: "${{ actions.notify.status == 'succeeded' }}", count: "${{ trigger.current }}" }

"""
