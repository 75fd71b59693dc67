import Diagnostics
import Foundation
@testable import FlowTestRunner

/// A throwaway folder with a flow and a test file, run through the runner.
struct Fixture {
    let folder: String

    init(files: [String: String]) throws {
        folder = NSTemporaryDirectory() + "flowtest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    func run(_ name: String = "t.test.yaml") async -> FlowTestFileOutcome {
        await FlowTestRunner.run(file: folder + "/" + name)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `test` (the `tests:` entries, indented by two) against the notify flow.
    static func notify(_ tests: String, flow: String = notifyFlow) async throws -> FlowTestFileOutcome {
        let fixture = try Fixture(files: ["notify.yaml": flow, "t.test.yaml": "flows: [notify.yaml]\nenv: { HOOK: https://hooks.example/sales }\ntests:\n" + tests])
        defer { fixture.remove() }
        return await fixture.run()
    }

    /// Posts every succeeded VIP refresh, retries three times, and emits an audit event
    /// whatever happened (a `run_after` edge).
    static let notifyFlow = """
        flow: notify
        trigger:
          type: event
          event_type: segment.refresh
          filter: event.data.status == "succeeded"
        actions:
          - id: post
            type: http
            with:
              url: ${{ env.HOOK }}
              json:
                count: ${{ event.data.memberCount }}
            retry: { attempts: 3, backoff: fixed, delay: 10s }
          - id: audit
            type: emit
            run_after: { post: [succeeded, failed] }
            with:
              type: sales.vip.notified
              data:
                ok: ${{ actions.post.status == "succeeded" }}
                attempts: ${{ actions.post.attempts }}
          - id: check
            type: if
            condition: event.data.memberCount > 100
            then:
              - type: log
                with: { message: big }
            else:
              - type: log
                with: { message: small }
        """
}

extension FlowTestFileOutcome {
    var allDiagnostics: [Diagnostic] { diagnostics + results.flatMap(\.failures) }
    var codes: [String] { allDiagnostics.map(\.code.rawValue) }
}

func refresh(_ count: Int, status: String = "succeeded") -> String {
    "      - { type: segment.refresh, data: { segment: VIP, status: \(status), memberCount: \(count) } }\n"
}
