import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request of an `http` action, as evaluated.
public struct HTTPRequestSpec: Sendable {
    public var method: String
    public var url: String
    /// In the order written; flowc adds `Idempotency-Key` and, for `json`, `Content-Type`.
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [(String, String)], body: [UInt8]?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What one attempt gave.
public enum HTTPAttempt: Sendable {
    /// A response, whatever its status; headers with lower-case names.
    case response(status: Int, headers: [(String, String)], body: [UInt8])
    /// No connection, DNS failure, reset: `http.connect`.
    case connectionFailed(String)
    case timedOut
    /// The request could not even be built (bad URL): not retried.
    case invalid(String)
}

/// Sends requests; the URLSession one in production, the same in tests (against a local server).
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestSpec, timeout: Duration) async -> HTTPAttempt
}

/// `URLSession` from Foundation: no extra dependency. A timeout is enforced by cancelling
/// the task, since URLSession's own `timeoutInterval` is an idle timeout.
public final class URLSessionTransport: HTTPTransport, Sendable {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: HTTPRequestSpec, timeout: Duration) async -> HTTPAttempt {
        guard let url = URL(string: request.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            return .invalid("`\(request.url)` is not an http or https URL")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        // URLSession on Linux turns sub-second intervals into an immediate timeout, so its own
        // (idle) timeout is only a backstop; the cancel timer below enforces the real one.
        urlRequest.timeoutInterval = seconds.rounded(.up) + 1
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if let body = request.body { urlRequest.httpBody = Data(body) }
        let timer = TimeoutFlag()
        return await withCheckedContinuation { (continuation: CheckedContinuation<HTTPAttempt, Never>) in
            let task = session.dataTask(with: urlRequest) { data, response, error in
                if timer.fired {
                    continuation.resume(returning: .timedOut)
                } else if let error {
                    let code = (error as? URLError)?.code
                    if code == .timedOut {
                        continuation.resume(returning: .timedOut)
                    } else {
                        continuation.resume(returning: .connectionFailed(error.localizedDescription))
                    }
                } else if let http = response as? HTTPURLResponse {
                    var headers: [(String, String)] = []
                    for (name, value) in http.allHeaderFields {
                        headers.append((String(describing: name).lowercased(), String(describing: value)))
                    }
                    headers.sort { $0.0 < $1.0 }
                    continuation.resume(returning: .response(status: http.statusCode, headers: headers, body: Array(data ?? Data())))
                } else {
                    continuation.resume(returning: .connectionFailed("no HTTP response"))
                }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak task] in
                guard let task, task.state == .running else { return }
                timer.fire()
                task.cancel()
            }
            task.resume()
        }
    }
}

private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var fired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func fire() {
        lock.lock()
        value = true
        lock.unlock()
    }
}
