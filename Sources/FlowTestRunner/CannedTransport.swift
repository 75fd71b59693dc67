import CEL
import Foundation
import Runtime

/// An `HTTPTransport` that answers from a test's canned responses and records every request.
/// Each response is used once, in order; when every matching one is used, the last repeats.
final class CannedTransport: HTTPTransport, @unchecked Sendable {
    struct Sent: Sendable {
        var request: HTTPRequestSpec
        var matched: Bool
    }

    private let lock = NSLock()
    private let responses: [CannedResponse]
    private var used: Set<Int> = []
    private var sent: [Sent] = []

    init(_ responses: [CannedResponse]) {
        self.responses = responses
    }

    var requests: [Sent] {
        lock.withLock { sent }
    }

    func send(_ request: HTTPRequestSpec, timeout: Duration) async -> HTTPAttempt {
        lock.withLock { answer(request) }
    }

    private func answer(_ request: HTTPRequestSpec) -> HTTPAttempt {
        let matching = responses.indices.filter { index in
            let response = responses[index]
            return (response.method == nil || response.method == request.method.uppercased()) && Glob.matches(request.url, pattern: response.url)
        }
        guard let chosen = matching.first(where: { !used.contains($0) }) ?? matching.last else {
            sent.append(Sent(request: request, matched: false))
            return .connectionFailed("no canned response for \(request.method) \(request.url)")
        }
        used.insert(chosen)
        sent.append(Sent(request: request, matched: true))
        let response = responses[chosen]
        return .response(status: response.status, headers: response.headers, body: response.body)
    }
}
