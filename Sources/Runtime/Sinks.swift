import Foundation

/// Replaces every secret value with `***` in what flowc writes (SPEC 4.3).
public struct Redactor: Sendable {
    private let secrets: [String]

    /// Longer secrets first, so one that contains another is replaced whole.
    public init(secrets: [String]) {
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    public static let none = Redactor(secrets: [])

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }
}

/// Where lines go: a file, stdout, stderr, or memory in tests.
public protocol LineSink: Sendable {
    /// Writes one line (without its newline).
    func write(_ line: String)
    func flush()
}

/// Lines kept in memory (tests, `flowc test`).
public final class MemoryLineSink: LineSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    public init() {}

    public func write(_ line: String) {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }

    public func flush() {}

    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// Lines appended to a file handle, buffered (64 KiB) so a million events do not mean a
/// million system calls; `flush` when the input pauses and at exit.
public final class FileLineSink: LineSink, @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let immediate: Bool

    /// `immediate` writes every line at once (stderr).
    public init(handle: FileHandle, immediate: Bool = false) {
        self.handle = handle
        self.immediate = immediate
        buffer.reserveCapacity(1 << 16)
    }

    /// Creates or truncates `path`.
    public convenience init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.init(handle: try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
    }

    public static let standardError = FileLineSink(handle: .standardError, immediate: true)

    public func write(_ line: String) {
        lock.lock()
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if immediate || buffer.count >= 1 << 16 { drain() }
        lock.unlock()
    }

    public func flush() {
        lock.lock()
        drain()
        lock.unlock()
    }

    private func drain() {
        guard !buffer.isEmpty else { return }
        try? handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The outputs of `flowc run`, with secrets redacted on the way out.
public struct RunOutputs: Sendable {
    /// Emitted CloudEvents (`--out`).
    public var events: any LineSink
    /// Run records (`--runs`), or nil.
    public var runs: (any LineSink)?
    /// `log` actions and rejected lines (stderr).
    public var log: any LineSink
    /// Rejected input lines, verbatim (`--dead-letter`), or nil.
    public var deadLetter: (any LineSink)?
    public var redactor: Redactor

    public init(events: any LineSink, runs: (any LineSink)? = nil, log: any LineSink, deadLetter: (any LineSink)? = nil, redactor: Redactor = .none) {
        self.events = events
        self.runs = runs
        self.log = log
        self.deadLetter = deadLetter
        self.redactor = redactor
    }

    func emit(_ line: String) { events.write(redactor.redact(line)) }
    func record(_ line: String) { runs?.write(redactor.redact(line)) }
    func logLine(_ line: String) { log.write(redactor.redact(line)) }

    public func flush() {
        events.flush()
        runs?.flush()
        log.flush()
        deadLetter?.flush()
    }
}

/// Counts lines and drops them (benchmarks).
public final class DiscardingLineSink: LineSink, @unchecked Sendable {
    private let lock = NSLock()
    private var written = 0

    public init() {}

    public func write(_ line: String) {
        lock.lock()
        written += 1
        lock.unlock()
    }

    public func flush() {}

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return written
    }
}
