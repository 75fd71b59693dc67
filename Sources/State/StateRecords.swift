import Foundation

/// Which side of its threshold a watched value was on (SPEC 5.4): above when `value > threshold`.
public enum Side: String, Sendable, Hashable, CaseIterable {
    case above
    case atOrBelow = "at_or_below"
}

/// The last value a threshold trigger observed: `int` for segments, `double` for measures,
/// kept so that `trigger.previous` survives a restart too.
public enum ObservedValue: Sendable, Hashable {
    case int(Int64)
    case double(Double)
}

/// What a threshold trigger remembers for one flow and key.
public struct RememberedSide: Sendable, Hashable {
    public var side: Side
    /// Nil for sides carried over from a schema-1 file, which kept no value.
    public var value: ObservedValue?

    public init(side: Side, value: ObservedValue?) {
        self.side = side
        self.value = value
    }
}

/// How far `--events FILE` has been consumed: everything before `offset` is processed and committed.
public struct InputPosition: Sendable, Hashable {
    /// The path as given on the command line; the key of the position.
    public var input: String
    /// Identifies the file behind the path (see `InputPosition.identity(ofFileAt:)`), so that a
    /// replaced or rotated file is noticed instead of being read from a stale offset.
    public var identity: String?
    /// Bytes consumed from the start of the file.
    public var offset: Int64
    /// Lines consumed: the next line read has number `line + 1`.
    public var line: Int64

    public init(input: String, identity: String?, offset: Int64, line: Int64) {
        self.input = input
        self.identity = identity
        self.offset = offset
        self.line = line
    }

    /// `device:inode` of the file at `path`, or nil when it cannot be read.
    public static func identity(ofFileAt path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }
}

/// The event that started a run: `(source, id)` identifies it.
public struct RunEvent: Sendable, Hashable {
    public var source: String
    public var id: String
    public var type: String

    public init(source: String, id: String, type: String) {
        self.source = source
        self.id = id
        self.type = type
    }
}

/// Why an action failed.
public struct StoredActionError: Sendable, Hashable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// One action of a run (SPEC 8.3): `path` is the action's id or its position such as `route/then/0`.
public struct StoredAction: Sendable, Hashable {
    public var path: String
    public var status: String
    public var attempts: Int
    public var startedAt: Date?
    public var finishedAt: Date?
    public var error: StoredActionError?

    public init(path: String, status: String, attempts: Int, startedAt: Date?, finishedAt: Date?, error: StoredActionError? = nil) {
        self.path = path
        self.status = status
        self.attempts = attempts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
    }
}

/// A run record (SPEC 8.3). Recording a run with an id already stored replaces it, so a run can be
/// recorded when it starts and again when it finishes.
public struct StoredRun: Sendable, Hashable {
    public var id: String
    public var flow: String
    public var event: RunEvent
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// Why the run ended as it did (a `fail` action's message, a timeout), when there is a reason.
    public var message: String?
    public var actions: [StoredAction]

    public init(id: String, flow: String, event: RunEvent, status: String, startedAt: Date, finishedAt: Date?, message: String? = nil, actions: [StoredAction]) {
        self.id = id
        self.flow = flow
        self.event = event
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
        self.actions = actions
    }
}

/// A run as listed by `flowc runs`: the record without its actions.
public struct RunSummary: Sendable, Hashable {
    public var id: String
    public var flow: String
    public var event: RunEvent
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var actionCount: Int
}

/// Which runs to list, newest first.
public struct RunFilter: Sendable, Hashable {
    public var flow: String?
    public var status: String?
    public var limit: Int

    public init(flow: String? = nil, status: String? = nil, limit: Int = 50) {
        self.flow = flow
        self.status = status
        self.limit = limit
    }
}

/// A flow as the state knows it: its name and a fingerprint of its trigger. Threshold sides
/// belong to a trigger; when the fingerprint changes, they no longer mean anything.
public struct FlowFingerprint: Sendable, Hashable {
    public var flow: String
    public var fingerprint: String

    public init(flow: String, fingerprint: String) {
        self.flow = flow
        self.fingerprint = fingerprint
    }
}

/// State that `StateStore.reconcile(flows:)` dropped, for the message `flowc run` prints.
public struct DroppedFlowState: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// The flow is no longer in the flow set being run.
        case removed
        /// The flow is still there but its trigger changed.
        case triggerChanged = "trigger_changed"
    }

    public var flow: String
    public var reason: Reason
    /// The keys (segment or measure names) whose remembered sides were dropped, sorted.
    public var thresholdKeys: [String]

    public var description: String {
        let why = reason == .removed ? "the flow is no longer in the flow set" : "its trigger changed"
        let keys = thresholdKeys.map { "`\($0)`" }.joined(separator: ", ")
        return "dropped the threshold state of flow `\(flow)` for \(keys): \(why)"
    }
}

/// How many processed `(source, id)` pairs are kept to recognise duplicates (SPEC 8.5: "a window of
/// the last 1,000,000 or 7 days"). A pair is forgotten as soon as EITHER limit says so (like a
/// log's retention by size or age, whichever comes first): the table never holds more than
/// `maxCount` pairs nor pairs older than `maxAge`, so it stays bounded whatever the event rate.
/// The crash guarantee does not rest on the window: the input position and the processed marks are
/// committed in the same transaction, so a restart resumes exactly after the last committed event.
public struct ProcessedWindow: Sendable, Hashable {
    public var maxCount: Int
    public var maxAge: TimeInterval

    public init(maxCount: Int = 1_000_000, maxAge: TimeInterval = 7 * 24 * 3600) {
        self.maxCount = maxCount
        self.maxAge = maxAge
    }

    public static let standard = ProcessedWindow()
}

/// What `synchronous` pragma the store runs with; both are WAL mode.
public enum Durability: Sendable, Hashable {
    /// `synchronous=NORMAL`: a commit is in the WAL (the OS's page cache) when `commit` returns, so it
    /// survives `kill -9` at any moment; only a power loss or kernel crash can undo the latest commits
    /// (never corrupt the file). No fsync per commit. The default: SPEC 8.5 promises `kill -9`.
    case processCrash
    /// `synchronous=FULL`: the WAL is fsynced at every commit, so commits also survive a power loss.
    case powerLoss
}
