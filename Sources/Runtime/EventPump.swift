import Foundation

/// When a run with `--state` commits: after so many events or so much time, whichever comes
/// first, whenever the input goes idle, and at the end.
public struct CheckpointPolicy: Sendable {
    public var events: Int
    public var interval: TimeInterval

    public init(events: Int = 20_000, interval: TimeInterval = 0.5) {
        self.events = max(1, events)
        self.interval = max(0, interval)
    }
}

/// Feeds input lines to the engine and, with a state session, checkpoints as the policy says.
/// The loop of `flowc run` (and of its benchmark).
public struct EventPump {
    public let engine: Engine
    public let reader: LineReader
    public let session: DurableSession?
    public let policy: CheckpointPolicy

    public init(engine: Engine, reader: LineReader, session: DurableSession? = nil, policy: CheckpointPolicy = CheckpointPolicy()) {
        self.engine = engine
        self.reader = reader
        self.session = session
        self.policy = policy
    }

    /// Reads to the end (or a stop), waits for every run, commits, and returns the counts.
    public func run(flushWhenIdle outputs: RunOutputs) throws(CheckpointError) -> RunCounts {
        let engine = self.engine
        let reader = self.reader
        var sinceCommit = 0
        var lastCommit = DispatchTime.now().uptimeNanoseconds
        let intervalNanos = UInt64(policy.interval * 1e9)
        var idleFailure: CheckpointError?
        let session = self.session
        reader.onIdle = {
            guard let session, sinceCommit > 0, reader.isAtLineBoundary, idleFailure == nil else {
                outputs.flush()
                return
            }
            do throws(CheckpointError) {
                try session.checkpoint(engine: engine, offset: reader.offset, line: Int64(reader.lineNumber))
                sinceCommit = 0
                lastCommit = DispatchTime.now().uptimeNanoseconds
            } catch {
                idleFailure = error
            }
        }
        while let line = reader.next() {
            if let idleFailure { throw idleFailure }
            if reader.lastLineTooLong {
                engine.reject(line: String(decoding: line, as: UTF8.self), number: reader.lineNumber, reason: "line longer than \(reader.maxLineLength) bytes")
            } else {
                line.withUnsafeBufferPointer { engine.process(bytes: $0, number: reader.lineNumber) }
            }
            engine.waitForRoom()
            guard let session else { continue }
            sinceCommit += 1
            // The clock is read once per 256 lines, to keep it off the per-line path.
            if sinceCommit >= policy.events || (sinceCommit & 255 == 0 && DispatchTime.now().uptimeNanoseconds - lastCommit >= intervalNanos) {
                guard reader.isAtLineBoundary else { continue }
                try session.checkpoint(engine: engine, offset: reader.offset, line: Int64(reader.lineNumber))
                sinceCommit = 0
                lastCommit = DispatchTime.now().uptimeNanoseconds
            }
        }
        if let idleFailure { throw idleFailure }
        let counts = engine.finishBlocking()
        if let session {
            if reader.isAtLineBoundary {
                try session.checkpoint(engine: engine, offset: reader.offset, line: Int64(reader.lineNumber), wait: true)
            } else {
                try session.waitForCommits()
            }
        }
        return counts
    }
}
