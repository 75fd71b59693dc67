import CEL
import Diagnostics
import Foundation
import Flows
import Graph

/// The `http` action (SPEC 5.5): expected statuses, retries with backoff for connection
/// failures, 429, 5xx and timeouts, and an `Idempotency-Key` that stays the same across retries.
struct HTTPAction {
    let executor: RunExecutor
    let action: CompiledAction
    let frame: Frame
    let inputs: [String: CELValue]

    static let defaultTimeout = Duration.seconds(30)

    func run() async -> RunExecutor.Outcome {
        let request: HTTPRequestSpec
        let expect: [Int]?
        switch build() {
        case .success(let built): (request, expect) = built
        case .failure(let error): return RunExecutor.Outcome(status: .failed, error: error)
        }
        if executor.services.dryRun {
            return RunExecutor.Outcome(status: .succeeded, attempts: 0, output: RuntimeValues.map([("status", .int(0))]), dryRun: true)
        }
        let retry = action.graph.retry
        let attempts = max(1, retry.attempts)
        let timeout = action.graph.timeoutMilliseconds.map { Duration.milliseconds($0) } ?? Self.defaultTimeout
        var last = RunExecutor.Outcome(status: .failed)
        for attempt in 1...attempts {
            if attempt > 1 {
                try? await Task.sleep(for: .milliseconds(Self.delay(retry: retry, beforeAttempt: attempt)))
            }
            let (outcome, retryable) = judge(await executor.services.http.send(request, timeout: timeout), expect: expect)
            last = outcome
            last.attempts = attempt
            if !retryable { break }
        }
        return last
    }

    /// Milliseconds to wait before `attempt` (2, 3, ...): `delay`, or `delay·2^(n-2)` capped.
    static func delay(retry: GraphRetry, beforeAttempt attempt: Int) -> Int64 {
        guard retry.backoff == "exponential" else { return retry.delayMilliseconds }
        var delay = retry.delayMilliseconds
        for _ in 0..<max(0, attempt - 2) {
            let (doubled, overflow) = delay.multipliedReportingOverflow(by: 2)
            delay = overflow ? Int64.max : doubled
            if retry.maxDelayMilliseconds > 0 && delay >= retry.maxDelayMilliseconds { break }
        }
        return retry.maxDelayMilliseconds > 0 ? min(delay, retry.maxDelayMilliseconds) : delay
    }

    private func build() -> Result<(HTTPRequestSpec, [Int]?), ActionError> {
        func fail(_ message: String) -> Result<(HTTPRequestSpec, [Int]?), ActionError> {
            .failure(ActionError(code: "http.request", message: message))
        }
        let method = inputs["method"].flatMap(RunExecutor.string)?.uppercased() ?? "POST"
        guard let url = inputs["url"].flatMap(RunExecutor.string) else { return fail("`url` must be a string") }
        var headers: [(String, String)] = []
        if case .map(let map)? = inputs["headers"] {
            for entry in map.entries {
                guard case .string(let name) = entry.key else { continue }
                switch RuntimeValues.templateText(entry.value) {
                case .success(let value): headers.append((name, value))
                case .failure(let error): return fail("header `\(name)`: \(error.message)")
                }
            }
        }
        var body: [UInt8]?
        if let json = inputs["json"] {
            body = Array(RuntimeValues.json(json).serialized().utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        } else if let text = inputs["body"] {
            switch RuntimeValues.templateText(text) {
            case .success(let value): body = Array(value.utf8)
            case .failure(let error): return fail("`body`: \(error.message)")
            }
        }
        headers.removeAll { $0.0.lowercased() == "idempotency-key" }
        headers.append(("Idempotency-Key", executor.idempotencyKey(action, frame: frame)))
        var expect: [Int]?
        if case .list(let items)? = inputs["expect"] {
            expect = items.compactMap { item in
                switch item {
                case .int(let number): return Int(exactly: number)
                case .uint(let number): return Int(exactly: number)
                case .double(let number): return Int(exactly: number)
                default: return nil
                }
            }
        }
        return .success((HTTPRequestSpec(method: method, url: url, headers: headers, body: body), expect))
    }

    /// The outcome of one attempt and whether another may help.
    private func judge(_ attempt: HTTPAttempt, expect: [Int]?) -> (RunExecutor.Outcome, Bool) {
        switch attempt {
        case .invalid(let message):
            return (RunExecutor.Outcome(status: .failed, error: ActionError(code: "http.request", message: message)), false)
        case .connectionFailed(let message):
            return (RunExecutor.Outcome(status: .failed, error: ActionError(code: "http.connect", message: message)), true)
        case .timedOut:
            return (RunExecutor.Outcome(status: .timedOut, error: ActionError(code: "timed_out", message: "no response within the timeout")), true)
        case .response(let status, let headers, let body):
            var output: [(String, CELValue)] = [
                ("status", .int(Int64(status))),
                ("headers", RuntimeValues.map(headers.map { ($0.0, .string($0.1)) })),
                ("body", .string(String(decoding: body, as: UTF8.self))),
            ]
            if !body.isEmpty, let parsed = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]),
               case .success(let json) = CELBridge.value(fromJSON: parsed) {
                output.append(("json", json))
            }
            let expected = expect.map { $0.contains(status) } ?? (200...299).contains(status)
            if expected {
                return (RunExecutor.Outcome(status: .succeeded, output: RuntimeValues.map(output)), false)
            }
            let outcome = RunExecutor.Outcome(status: .failed, output: RuntimeValues.map(output), error: ActionError(code: "http.status", message: "unexpected status \(status)"))
            return (outcome, status == 429 || (500...599).contains(status))
        }
    }
}

