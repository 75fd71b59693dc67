import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

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

/// Lines appended to a file descriptor, buffered (64 KiB) so a million events do not mean a
/// million system calls; `flush` when the input pauses, before a state commit, and at exit.
///
/// A sink knows how many bytes reached its file (`flushedLength`): the state store commits that
/// length (SPEC 8.5), and a restart cuts the file back to it. A failed write is kept
/// (`writeFailure`) rather than dropped, so that a checkpoint never counts lines that are not there.
public final class FileLineSink: LineSink, @unchecked Sendable {
    private let lock = NSLock()
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private let immediate: Bool
    private var flushed: Int64
    private var failure: String?
    /// The file's path, for messages (nil for stdout and stderr).
    public let path: String?

    /// `immediate` writes every line at once (stderr).
    public init(handle: FileHandle, immediate: Bool = false) {
        descriptor = handle.fileDescriptor
        ownsDescriptor = false
        self.immediate = immediate
        flushed = 0
        path = nil
        buffer.reserveCapacity(1 << 16)
    }

    /// Creates or truncates `path`.
    public convenience init(path: String) throws {
        try self.init(path: path, keepingFirst: 0)
    }

    /// Opens `path` for appending after its first `length` bytes, cutting anything beyond them
    /// (what a crashed run wrote after its last commit); nil keeps the whole file.
    public init(path: String, keepingFirst length: Int64?) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SinkError(path: path, detail: String(cString: strerror(errno))) }
        var end = lseek(descriptor, 0, SEEK_END)
        if let length, end > length {
            guard ftruncate(descriptor, off_t(length)) == 0 else {
                let detail = String(cString: strerror(errno))
                close(descriptor)
                throw SinkError(path: path, detail: "cannot cut it back to \(length) bytes: \(detail)")
            }
            end = lseek(descriptor, 0, SEEK_END)
        }
        guard end >= 0 else {
            let detail = String(cString: strerror(errno))
            close(descriptor)
            throw SinkError(path: path, detail: detail)
        }
        self.descriptor = descriptor
        ownsDescriptor = true
        immediate = false
        flushed = Int64(end)
        self.path = path
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
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

    /// Bytes in the file once everything written so far is flushed, and the first write error.
    public var flushedLength: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return flushed
    }

    public var writeFailure: String? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func drain() {
        guard !buffer.isEmpty, failure == nil else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        var written = 0
        buffer.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            while written < bytes.count {
                let count = systemWrite(descriptor, base + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                written += count
            }
        }
        flushed += Int64(written)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A file flowc cannot open for writing.
public struct SinkError: Error, CustomStringConvertible {
    public var path: String
    public var detail: String

    public var description: String { "cannot write `\(path)`: \(detail)" }
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
    /// Run records go to `--runs` and, with a state store, to the run history.
    public var history: RunHistory?

    func finished(_ record: RunRecord) {
        runs?.write(redactor.redact(record.json.serialized()))
        history?.add(record, redactor: redactor)
    }
    func logLine(_ line: String) { log.write(redactor.redact(line)) }

    public func flush() {
        events.flush()
        runs?.flush()
        log.flush()
        deadLetter?.flush()
    }

    /// Writes that failed (a full disk, a closed pipe), one message per output, for the exit
    /// status: lines that could not be written are reported, not silently lost.
    public var writeFailures: [String] {
        [events, runs, deadLetter].compactMap { sink in
            guard let file = sink as? FileLineSink, let failure = file.writeFailure else { return nil }
            return "cannot write `\(file.path ?? "standard output")`: \(failure)"
        }
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
