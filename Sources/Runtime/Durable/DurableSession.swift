import Diagnostics
import Foundation
import Graph
import State

/// `flowc run --state FILE`: the state store, the stores the dispatcher reads, and checkpoints
/// that make a crash at any instant recoverable (SPEC 8.5).
///
/// A checkpoint waits for the runs in flight, writes every output file's buffered lines (the
/// kernel has them when `write` returns, which is what survives `kill -9`), and only then
/// commits, in one transaction: the input position after the last line read, the length of each
/// output file, the threshold sides and processed events changed since the last checkpoint,
/// and the finished runs. A restart cuts each output file back to its committed length and
/// reads on from the committed position, so the events after the last commit run again and
/// write the same lines (event ids are deterministic) exactly once.
public final class DurableSession {
    public let store: StateStore
    public let triggerState: DurableTriggerState
    public let history = RunHistory()
    /// What was dropped by `reconcile`, for the start-up message.
    public let dropped: [DroppedFlowState]
    private var files: [FileLineSink] = []
    private let committer = StateCommitter()
    private var input: (name: String, identity: String?)?
    public private(set) var commits = 0

    /// Opens (or creates) the state file for `flows`, keeping the state of flows whose trigger
    /// is unchanged and dropping the rest.
    public init(path: String, flows: [CompiledFlow], window: ProcessedWindow = .standard) throws(StateError) {
        store = try StateStore.open(path: path, window: window)
        dropped = try store.reconcile(flows: flows.map { FlowFingerprint(flow: $0.name, fingerprint: Self.fingerprint(of: $0.graph.trigger)) })
        triggerState = try DurableTriggerState(store: store, flows: flows.map(\.name))
    }

    /// Opens an output file cut back to its committed length; its length is committed from now on.
    /// A file the state has no length for is started afresh, as without `--state`.
    public func openOutput(path: String) throws -> FileLineSink {
        let key = Self.canonicalPath(path)
        let committed = try store.outputLength(path: key)
        let sink = try FileLineSink(path: path, keepingFirst: committed ?? 0)
        if let committed, sink.flushedLength < committed {
            throw SinkError(path: path, detail: "it is shorter (\(sink.flushedLength) bytes) than the \(committed) bytes the state file counts; it was changed outside flowc — move it away or use another --state file")
        }
        files.append(sink)
        return sink
    }

    /// Where reading `path` resumes: after the last committed line, or at the start when the
    /// state has no position or the file is not the one it was (replaced, rotated, truncated).
    public func resumePosition(forInput path: String) throws(StateError) -> ResumePosition {
        let key = Self.canonicalPath(path)
        let identity = InputPosition.identity(ofFileAt: path)
        input = (key, identity)
        guard let stored = try store.inputPosition(for: key) else { return .start }
        var info = stat()
        let size = stat(path, &info) == 0 ? Int64(info.st_size) : 0
        guard stored.identity == identity, stored.offset <= size else {
            return .restartedInput(previousLine: stored.line)
        }
        return .resumed(offset: stored.offset, line: stored.line)
    }

    /// Commits everything up to `offset`/`line` of the input; blocks until runs in flight end.
    ///
    /// The transaction itself runs on a committer thread while the reader goes on (`wait`
    /// false): the files already hold every line the batch counts, and commits land one after
    /// the other in checkpoint order, so the state on disk is always some checkpoint's. A crash
    /// before a queued commit lands leaves an earlier checkpoint, which a restart resumes from.
    /// A failed commit is reported by the next checkpoint. Off the reader, commits took the
    /// `--state` benchmark from 174k to 305k–355k events/s (in memory: 600k–650k).
    public func checkpoint(engine: Engine, offset: Int64, line: Int64, wait: Bool = false) throws(CheckpointError) {
        _ = engine.finishBlocking()
        var batch = triggerState.takeChanges()
        for run in history.take() {
            batch.record(run)
        }
        for file in files {
            guard let path = file.path else { continue }
            if let failure = file.writeFailure {
                throw CheckpointError(description: "cannot write `\(path)`: \(failure); the state keeps the last commit")
            }
            batch.setOutputLength(file.flushedLength, path: Self.canonicalPath(path))
        }
        if let input {
            batch.setInputPosition(InputPosition(input: input.name, identity: input.identity, offset: offset, line: line))
        }
        try committer.submit(batch, to: store, wait: wait)
        commits += 1
    }

    /// Waits for the commit in flight, if any.
    public func waitForCommits() throws(CheckpointError) {
        try committer.waitForPrevious()
    }

    public func close() {
        try? committer.waitForPrevious()
        store.close()
    }

    /// Identifies a trigger by what decides its firing, not by where it is written: moving a
    /// flow or adding comments keeps its state, changing a threshold or filter drops it. The
    /// fields go through the JSON writer, so no two different triggers read the same.
    static func fingerprint(of trigger: GraphTrigger) -> String {
        func source(_ expression: GraphExpression?) -> JSONValue {
            expression.map { .string($0.source) } ?? .null
        }
        let identity = JSONValue.object([
            ("kind", .string(trigger.kind.rawValue)),
            ("catalog", .string(trigger.catalogName)),
            ("events", .array(trigger.eventTypes.map(JSONValue.string))),
            ("parameters", .array(trigger.parameters.map { .array([.string($0.name), .string($0.type), withoutSpans($0.value)]) })),
            ("filter", source(trigger.filter)),
            ("key", source(trigger.key)),
            ("value", source(trigger.value)),
            ("threshold", trigger.threshold.map(JSONValue.double) ?? .null),
            ("direction", trigger.direction.map(JSONValue.string) ?? .null),
        ])
        return InMemoryEventWindow.hexHash(source: identity.serialized(), id: "")
    }

    /// A value as JSON without the spans of its expressions.
    private static func withoutSpans(_ value: GraphValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(Int(truncatingIfNeeded: number))
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .expression(let expression): return .object([("expression", .string(expression.source))])
        case .template(let segments):
            return .object([("template", .array(segments.map { segment in
                switch segment {
                case .text(let text): return .string(text)
                case .expression(let expression): return .object([("expression", .string(expression.source))])
                }
            }))])
        case .list(let items): return .array(items.map(withoutSpans))
        case .map(let entries): return .object(entries.map { ($0.key, withoutSpans($0.value)) })
        }
    }

    /// The same file named `out.ndjson` or `./out.ndjson` has one committed length.
    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// Commits off the reader's thread, one at a time and in checkpoint order, with up to
/// `depth` batches queued so that a slow commit (the kernel throttling writes) does not stall
/// the reader at once. After a failed commit the queued ones are dropped: a later commit must
/// never land without the earlier ones.
final class StateCommitter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "flowc.state.commit")
    private let inFlight = DispatchGroup()
    private let room: DispatchSemaphore
    private let lock = NSLock()
    private var failure: CheckpointError?

    init(depth: Int = 2) {
        room = DispatchSemaphore(value: max(1, depth))
    }

    func submit(_ batch: StateBatch, to store: StateStore, wait: Bool) throws(CheckpointError) {
        if wait {
            try waitForPrevious()
            try Self.commit(batch, to: store)
            return
        }
        room.wait()
        if let failure = currentFailure {
            room.signal()
            throw failure
        }
        inFlight.enter()
        queue.async { [self] in
            if currentFailure == nil {
                do throws(CheckpointError) {
                    try Self.commit(batch, to: store)
                } catch {
                    lock.lock()
                    failure = error
                    lock.unlock()
                }
            }
            inFlight.leave()
            room.signal()
        }
    }

    private var currentFailure: CheckpointError? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Returns once no commit is in flight; throws the failure of one, if any.
    func waitForPrevious() throws(CheckpointError) {
        inFlight.wait()
        if let failure = currentFailure { throw failure }
    }

    private static func commit(_ batch: StateBatch, to store: StateStore) throws(CheckpointError) {
        do {
            try store.commit(batch)
        } catch {
            throw CheckpointError(description: "cannot commit to the state file: \(error.description)")
        }
    }
}

/// Where `flowc run --state` starts reading `--events FILE`.
public enum ResumePosition: Equatable, Sendable {
    /// No position is stored: from the first byte.
    case start
    /// After the last committed line.
    case resumed(offset: Int64, line: Int64)
    /// The file changed since the position was stored: from the first byte; repeats of events
    /// already processed are dropped by the processed window.
    case restartedInput(previousLine: Int64)
}

public struct CheckpointError: Error, CustomStringConvertible {
    public var description: String
}
