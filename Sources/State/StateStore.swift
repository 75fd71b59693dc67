import Diagnostics
import Foundation

/// flowc's durable state (SPEC 8.5) in one SQLite file: threshold sides, the window of processed
/// events, input positions, committed output lengths, run records and the flows they belong to.
///
/// Opened for writing (`open`), the store holds an exclusive lock on `FILE.lock` until `close()` or
/// deinit, so a second `flowc run` on the same file is refused. Opened for reading
/// (`openForReading`), it takes no lock and never writes. One connection serves every call; calls
/// from different threads are serialized.
///
/// The file is in WAL mode. `Durability.processCrash` (the default, `synchronous=NORMAL`) makes
/// every commit survive `kill -9`; `.powerLoss` (`synchronous=FULL`) adds an fsync per commit.
public final class StateStore: @unchecked Sendable {
    /// `PRAGMA application_id` of every flowc state file ("FLWC").
    public static let applicationID = StateSchema.applicationID
    /// The schema version this flowc writes.
    public static let currentSchemaVersion = StateSchema.currentVersion

    public let path: String
    /// The schema version of the file (older than current only when opened for reading).
    public let schemaVersion: Int
    public let window: ProcessedWindow
    public let isReadOnly: Bool

    /// Guards `connection` and `fileLock`: the SQLite connection is opened without its own mutex.
    private let mutex = NSLock()
    private var connection: SQLiteConnection?
    private var fileLock: StateFileLock?

    private init(path: String, schemaVersion: Int, window: ProcessedWindow, isReadOnly: Bool, connection: SQLiteConnection, fileLock: StateFileLock?) {
        self.path = path
        self.schemaVersion = schemaVersion
        self.window = window
        self.isReadOnly = isReadOnly
        self.connection = connection
        self.fileLock = fileLock
    }

    deinit {
        connection = nil
        fileLock?.release()
    }

    // MARK: Opening

    /// Opens the state file for a run, creating it when absent, upgrading an older schema.
    /// Refuses, leaving the file untouched: a damaged file, another application's SQLite file, a
    /// newer schema, and a file another process has open for a run.
    public static func open(path: String, window: ProcessedWindow = .standard, durability: Durability = .processCrash) throws(StateError) -> StateStore {
        // Inspect read-only before creating anything, the lock file included.
        let inspection = try StateSchema.inspect(path: path)
        if inspection == .blank {
            // `--state .flowc/state.db` in a fresh checkout: make the folder, as `git` makes `.git`.
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw .io(path: path, detail: "cannot create the folder \(folder): \(error.localizedDescription)")
                }
            }
        }
        let fileLock = try StateFileLock.acquire(forStateFile: path)
        if inspection == .blank {
            // Another program may have created the file between the inspection and the lock: look
            // again before SQLite writes to it (`journal_mode` below already does).
            _ = try StateSchema.inspect(path: path)
        }
        do {
            let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
            try connection.execute("PRAGMA busy_timeout = 5000")
            let journal = try connection.scalar("PRAGMA journal_mode = WAL")?.text?.lowercased()
            guard journal == "wal" else {
                throw StateError.io(path: path, detail: "cannot switch the file to WAL mode (journal mode is \(journal ?? "unknown"))")
            }
            try connection.execute(durability == .powerLoss ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            let version = try migrate(connection, path: path)
            return StateStore(path: path, schemaVersion: version, window: window, isReadOnly: false, connection: connection, fileLock: fileLock)
        } catch let error as StateError {
            throw error
        } catch let error as SQLiteError {
            throw Self.stateError(error, path: path)
        } catch {
            throw .io(path: path, detail: "\(error)")
        }
    }

    /// Opens an existing state file to read it (`flowc runs`): no lock, no writes, no migration.
    public static func openForReading(path: String) throws(StateError) -> StateStore {
        let inspection = try StateSchema.inspect(path: path)
        guard case .flowc(let version) = inspection else {
            var info = stat()
            if stat(path, &info) != 0 { throw .notFound(path: path) }
            throw .io(path: path, detail: "the file holds no flowc state yet")
        }
        do {
            let connection = try SQLiteConnection(path: path, mode: .readOnly)
            try connection.execute("PRAGMA busy_timeout = 5000")
            return StateStore(path: path, schemaVersion: version, window: .standard, isReadOnly: true, connection: connection, fileLock: nil)
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    /// Brings the file to the current schema in one transaction; returns the version.
    private static func migrate(_ connection: SQLiteConnection, path: String) throws -> Int {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let found = Int(try connection.scalar("PRAGMA user_version")?.integer ?? 0)
            let applicationID = try connection.scalar("PRAGMA application_id")?.integer ?? 0
            if found == 0 {
                let tableCount = try connection.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")?.integer ?? 0
                guard applicationID == 0, tableCount == 0 else {
                    throw StateError.foreign(path: path, detail: "it is a SQLite database with other tables")
                }
            } else if applicationID != Int64(StateSchema.applicationID) {
                throw StateError.foreign(path: path, detail: "it is a SQLite database of another application")
            } else if found > StateSchema.currentVersion {
                throw StateError.newerSchema(path: path, found: found, known: StateSchema.currentVersion)
            }
            if found < StateSchema.currentVersion {
                for migration in StateSchema.migrations[found...] {
                    try connection.execute(migration)
                }
                let version = StateSchema.currentVersion
                try connection.execute("PRAGMA application_id = \(StateSchema.applicationID)")
                try connection.execute("PRAGMA user_version = \(version)")
                try connection.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", [.text(String(version))])
                if found == 0 {
                    try connection.run("INSERT INTO meta (key, value) VALUES ('created_by', ?), ('created_at', ?)",
                                       [.text("flowc"), .text(ISO8601DateFormatter().string(from: Date()))])
                } else {
                    try connection.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('upgraded_from', ?)", [.text(String(found))])
                }
            }
            try connection.execute("COMMIT")
            return StateSchema.currentVersion
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Releases the connection and the lock. Later calls throw.
    public func close() {
        mutex.lock()
        defer { mutex.unlock() }
        connection = nil
        fileLock?.release()
        fileLock = nil
    }

    // MARK: Reading

    public func side(flow: String, key: String) throws(StateError) -> Side? {
        try rememberedSide(flow: flow, key: key)?.side
    }

    public func rememberedSide(flow: String, key: String) throws(StateError) -> RememberedSide? {
        try withConnection { connection throws(SQLiteError) in
            let sql = schemaVersion >= 2
                ? "SELECT side, value FROM threshold_sides WHERE flow = ? AND key = ?"
                : "SELECT side, NULL FROM threshold_sides WHERE flow = ? AND key = ?"
            guard let row = try connection.rows(sql, [.text(flow), .text(key)]).first else { return nil }
            return Self.rememberedSide(row)
        }
    }

    /// Every remembered side of a flow, by key: what a runtime loads once at start.
    public func rememberedSides(flow: String) throws(StateError) -> [String: RememberedSide] {
        try withConnection { connection throws(SQLiteError) in
            let sql = schemaVersion >= 2
                ? "SELECT side, value, key FROM threshold_sides WHERE flow = ?"
                : "SELECT side, NULL, key FROM threshold_sides WHERE flow = ?"
            var result: [String: RememberedSide] = [:]
            for row in try connection.rows(sql, [.text(flow)]) {
                if let key = row[2].text, let observation = Self.rememberedSide(row) { result[key] = observation }
            }
            return result
        }
    }

    private static func rememberedSide(_ row: [SQLiteValue]) -> RememberedSide? {
        guard let side = row[0].text.flatMap(Side.init(rawValue:)) else { return nil }
        let value: ObservedValue? = switch row[1] {
        case .integer(let number): .int(number)
        case .real(let number): .double(number)
        default: nil
        }
        return RememberedSide(side: side, value: value)
    }

    /// A scan of the window (schema 3 has no index on the pair): for tools and tests; a runtime
    /// loads the window once with `forEachProcessed`.
    public func isProcessed(source: String, id: String) throws(StateError) -> Bool {
        try withConnection { connection throws(SQLiteError) in
            try connection.scalar("SELECT 1 FROM processed_events WHERE source = ? AND id = ?", [.text(source), .text(id)]) != nil
        }
    }

    /// Every `(source, id)` pair of the window, oldest first: what a runtime loads at start to
    /// drop repeats without a query per event.
    public func forEachProcessed(_ body: (_ source: String, _ id: String) -> Void) throws(StateError) {
        try withConnection { connection throws(SQLiteError) in
            try connection.forEachRow("SELECT source, id FROM processed_events ORDER BY seq") { row in
                if let source = row[0].text, let id = row[1].text { body(source, id) }
            }
        }
    }

    /// How many distinct `(source, id)` pairs the window holds (a pair marked twice is one).
    public func processedCount() throws(StateError) -> Int {
        try withConnection { connection throws(SQLiteError) in
            Int(try connection.scalar("SELECT count(*) FROM (SELECT DISTINCT source, id FROM processed_events)")?.integer ?? 0)
        }
    }

    public func inputPosition(for input: String) throws(StateError) -> InputPosition? {
        try withConnection { connection throws(SQLiteError) in
            guard let row = try connection.rows("SELECT identity, byte_offset, line FROM input_positions WHERE input = ?", [.text(input)]).first,
                  let offset = row[1].integer, let line = row[2].integer
            else { return nil }
            return InputPosition(input: input, identity: row[0].text, offset: offset, line: line)
        }
    }

    /// The committed length of `--out FILE`.
    public func outputLength(path output: String) throws(StateError) -> Int64? {
        try withConnection { connection throws(SQLiteError) in
            try connection.scalar("SELECT length FROM outputs WHERE path = ?", [.text(output)])?.integer
        }
    }

    /// Runs matching the filter, newest first (by start time, then by recording order).
    public func runs(_ filter: RunFilter = RunFilter()) throws(StateError) -> [RunSummary] {
        var conditions: [String] = []
        var values: [SQLiteValue] = []
        if let flow = filter.flow {
            conditions.append("flow = ?")
            values.append(.text(flow))
        }
        if let status = filter.status {
            conditions.append("status = ?")
            values.append(.text(status))
        }
        values.append(.integer(Int64(max(0, filter.limit))))
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT run_id, flow, event_source, event_id, event_type, status, started_at, finished_at, action_count
            FROM runs\(whereClause) ORDER BY started_at DESC, rowid DESC LIMIT ?
            """
        return try withConnection { connection throws(SQLiteError) in
            try connection.rows(sql, values).compactMap { row in
                guard let id = row[0].text, let flow = row[1].text, let source = row[2].text, let eventID = row[3].text,
                      let type = row[4].text, let status = row[5].text, let started = row[6].integer
                else { return nil }
                return RunSummary(
                    id: id, flow: flow, event: RunEvent(source: source, id: eventID, type: type), status: status,
                    startedAt: Date(milliseconds: started), finishedAt: row[7].integer.map(Date.init(milliseconds:)),
                    actionCount: Int(row[8].integer ?? 0)
                )
            }
        }
    }

    /// The run with this id, with its actions.
    public func run(id: String) throws(StateError) -> StoredRun? {
        let message = schemaVersion >= 2 ? "message" : "NULL"
        let row = try withConnection { connection throws(SQLiteError) in
            try connection.rows("""
                SELECT flow, event_source, event_id, event_type, status, started_at, finished_at, actions, \(message)
                FROM runs WHERE run_id = ?
                """, [.text(id)]).first
        }
        guard let row else { return nil }
        guard let flow = row[0].text, let source = row[1].text, let eventID = row[2].text, let type = row[3].text,
              let status = row[4].text, let started = row[5].integer
        else {
            throw .corrupt(path: path, detail: "the record of run `\(id)` is incomplete")
        }
        let actions: [StoredAction]
        do {
            actions = try ActionsJSON.decode(row[7].text ?? "[]")
        } catch {
            throw .corrupt(path: path, detail: "the actions of run `\(id)` are not readable JSON")
        }
        return StoredRun(
            id: id, flow: flow, event: RunEvent(source: source, id: eventID, type: type), status: status,
            startedAt: Date(milliseconds: started), finishedAt: row[6].integer.map(Date.init(milliseconds:)), message: row[8].text,
            actions: actions
        )
    }

    /// The flows the state belongs to, with their fingerprints (nil when unknown).
    public func knownFlows() throws(StateError) -> [String: String?] {
        guard schemaVersion >= 2 else { return [:] }
        return try withConnection { connection throws(SQLiteError) in
            var flows: [String: String?] = [:]
            for row in try connection.rows("SELECT flow, fingerprint FROM flows") {
                if let flow = row[0].text { flows[flow] = row[1].text }
            }
            return flows
        }
    }

    // MARK: Writing

    /// Applies every change of the batch in one transaction, then prunes the processed window.
    /// On failure nothing of the batch is kept.
    public func commit(_ batch: StateBatch) throws(StateError) {
        guard !batch.isEmpty else { return }
        try withTransaction { connection throws(SQLiteError) in
            var flows: Set<String> = []
            // Processed events are most of a batch: one statement, bound in place.
            let insertProcessed = try connection.statement("INSERT INTO processed_events (source, id, processed_at) VALUES (?, ?, ?)")
            defer { insertProcessed.reset() }
            for change in batch.changes {
                if case .processed(let source, let id, let time) = change {
                    insertProcessed.reset()
                    try insertProcessed.bind(text: source, at: 1)
                    try insertProcessed.bind(text: id, at: 2)
                    try insertProcessed.bind(integer: time.milliseconds, at: 3)
                    while try insertProcessed.step() {}
                    continue
                }
                try Self.apply(change, to: connection)
                if case .side(let flow, _, _) = change { flows.insert(flow) }
            }
            // A flow with sides is a flow the state knows; its fingerprint comes with `reconcile`.
            for flow in flows {
                try connection.run("INSERT OR IGNORE INTO flows (flow, fingerprint) VALUES (?, NULL)", [.text(flow)])
            }
            if let now = batch.latestProcessedAt {
                try Self.prune(connection, window: window, now: now)
            }
        }
    }

    private static func apply(_ change: StateBatch.Change, to connection: SQLiteConnection) throws(SQLiteError) {
        switch change {
        case .side(let flow, let key, let observation):
            let value: SQLiteValue = switch observation.value {
            case .int(let number): .integer(number)
            case .double(let number): .real(number)
            case nil: .null
            }
            try connection.run(
                "INSERT OR REPLACE INTO threshold_sides (flow, key, side, value) VALUES (?, ?, ?, ?)",
                [.text(flow), .text(key), .text(observation.side.rawValue), value]
            )
        case .processed(let source, let id, let time):
            try connection.run(
                "INSERT INTO processed_events (source, id, processed_at) VALUES (?, ?, ?)",
                [.text(source), .text(id), .integer(time.milliseconds)]
            )
        case .position(let position):
            try connection.run(
                "INSERT OR REPLACE INTO input_positions (input, identity, byte_offset, line) VALUES (?, ?, ?, ?)",
                [.text(position.input), .optional(position.identity), .integer(position.offset), .integer(position.line)]
            )
        case .outputLength(let path, let length):
            try connection.run("INSERT OR REPLACE INTO outputs (path, length) VALUES (?, ?)", [.text(path), .integer(length)])
        case .run(let run):
            try connection.run(
                """
                INSERT OR REPLACE INTO runs
                (run_id, flow, event_source, event_id, event_type, status, started_at, finished_at, action_count, actions, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(run.id), .text(run.flow), .text(run.event.source), .text(run.event.id), .text(run.event.type),
                    .text(run.status), .integer(run.startedAt.milliseconds), .optional(run.finishedAt?.milliseconds),
                    .integer(Int64(run.actions.count)), .text(ActionsJSON.encode(run.actions)), .optional(run.message),
                ]
            )
        }
    }

    public func setSide(_ side: Side, value: ObservedValue?, flow: String, key: String) throws(StateError) {
        var batch = StateBatch()
        batch.setSide(side, value: value, flow: flow, key: key)
        try commit(batch)
    }

    public func markProcessed(source: String, id: String, at time: Date) throws(StateError) {
        var batch = StateBatch()
        batch.markProcessed(source: source, id: id, at: time)
        try commit(batch)
    }

    public func setInputPosition(_ position: InputPosition) throws(StateError) {
        var batch = StateBatch()
        batch.setInputPosition(position)
        try commit(batch)
    }

    public func setOutputLength(_ length: Int64, path output: String) throws(StateError) {
        var batch = StateBatch()
        batch.setOutputLength(length, path: output)
        try commit(batch)
    }

    public func record(_ run: StoredRun) throws(StateError) {
        var batch = StateBatch()
        batch.record(run)
        try commit(batch)
    }

    /// Forgets processed pairs outside the window as of `now`; returns how many.
    @discardableResult
    public func pruneProcessed(now: Date) throws(StateError) -> Int {
        try withTransaction { connection throws(SQLiteError) in
            try Self.prune(connection, window: window, now: now)
        }
    }

    @discardableResult
    private static func prune(_ connection: SQLiteConnection, window: ProcessedWindow, now: Date) throws(SQLiteError) -> Int {
        // `seq` only grows, so the newest `maxCount` pairs are those above `max(seq) - maxCount`.
        try connection.run(
            "DELETE FROM processed_events WHERE seq <= (SELECT max(seq) FROM processed_events) - ?",
            [.integer(Int64(max(0, window.maxCount)))]
        )
        var removed = connection.changes
        try connection.run(
            "DELETE FROM processed_events WHERE processed_at < ?",
            [.integer(now.addingTimeInterval(-window.maxAge).milliseconds)]
        )
        removed += connection.changes
        return removed
    }

    /// Forgets run records that finished before `date` (runs still going are kept); returns how
    /// many. Run history is not pruned on its own: how long to keep it is the caller's policy.
    @discardableResult
    public func pruneRuns(finishedBefore date: Date) throws(StateError) -> Int {
        try withTransaction { connection throws(SQLiteError) in
            try connection.run("DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?", [.integer(date.milliseconds)])
            return connection.changes
        }
    }

    /// Makes the state match the flow set about to run. Threshold sides of a flow that is gone, or
    /// whose trigger fingerprint changed, are dropped (and returned, for a message); the state of
    /// unchanged flows is kept; run records are history and always kept. A flow whose fingerprint is
    /// unknown (carried over from schema 1) keeps its state and adopts the new fingerprint.
    public func reconcile(flows: [FlowFingerprint]) throws(StateError) -> [DroppedFlowState] {
        let current = Dictionary(flows.map { ($0.flow, $0.fingerprint) }, uniquingKeysWith: { _, last in last })
        return try withTransaction { connection throws(SQLiteError) in
            var stored: [String: String?] = [:]
            for row in try connection.rows("SELECT flow, fingerprint FROM flows") {
                if let flow = row[0].text { stored[flow] = row[1].text }
            }
            for row in try connection.rows("SELECT DISTINCT flow FROM threshold_sides") {
                if let flow = row[0].text, stored[flow] == nil { stored[flow] = .some(nil) }
            }
            var dropped: [DroppedFlowState] = []
            for (flow, fingerprint) in stored.sorted(by: { $0.key < $1.key }) {
                let reason: DroppedFlowState.Reason
                if let now = current[flow] {
                    guard let fingerprint, fingerprint != now else { continue }
                    reason = .triggerChanged
                } else {
                    reason = .removed
                }
                let keys = try connection.rows("SELECT key FROM threshold_sides WHERE flow = ? ORDER BY key", [.text(flow)])
                    .compactMap { $0.first?.text }
                try connection.run("DELETE FROM threshold_sides WHERE flow = ?", [.text(flow)])
                if reason == .removed {
                    try connection.run("DELETE FROM flows WHERE flow = ?", [.text(flow)])
                }
                if !keys.isEmpty {
                    dropped.append(DroppedFlowState(flow: flow, reason: reason, thresholdKeys: keys))
                }
            }
            for (flow, fingerprint) in current {
                try connection.run("INSERT OR REPLACE INTO flows (flow, fingerprint) VALUES (?, ?)", [.text(flow), .text(fingerprint)])
            }
            return dropped
        }
    }

    // MARK: Plumbing

    private func withConnection<T>(_ body: (SQLiteConnection) throws(SQLiteError) -> T) throws(StateError) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        guard let connection else { throw .io(path: path, detail: "the state store is closed") }
        do {
            return try body(connection)
        } catch {
            throw Self.stateError(error, path: path)
        }
    }

    private func withTransaction<T>(_ body: (SQLiteConnection) throws(SQLiteError) -> T) throws(StateError) -> T {
        try withConnection { connection throws(SQLiteError) in
            try connection.run("BEGIN IMMEDIATE")
            do throws(SQLiteError) {
                let result = try body(connection)
                try connection.run("COMMIT")
                return result
            } catch {
                try? connection.run("ROLLBACK")
                throw error
            }
        }
    }

    private static func stateError(_ error: any Error, path: String) -> StateError {
        if let error = error as? StateError { return error }
        if let error = error as? SQLiteError {
            return error.isCorruption ? .corrupt(path: path, detail: error.message) : .io(path: path, detail: error.description)
        }
        return .io(path: path, detail: "\(error)")
    }
}

/// The actions of a run as the JSON kept in `runs.actions`; times in milliseconds since 1970.
enum ActionsJSON {
    private struct Action: Decodable {
        var path: String
        var status: String
        var attempts: Int
        var startedAt: Int64?
        var finishedAt: Int64?
        var error: Failure?
    }

    private struct Failure: Decodable {
        var code: String
        var message: String
    }

    /// Written with the ordered JSON writer: `JSONEncoder` took 10% of a run with `--state`
    /// (one record per run, 313,000 runs in the 1,000,000-event benchmark), this about 1%.
    static func encode(_ actions: [StoredAction]) -> String {
        JSONValue.array(actions.map { action in
            var fields: [(String, JSONValue)] = [
                ("path", .string(action.path)), ("status", .string(action.status)), ("attempts", .int(action.attempts)),
            ]
            if let started = action.startedAt { fields.append(("startedAt", .int(Int(started.milliseconds)))) }
            if let finished = action.finishedAt { fields.append(("finishedAt", .int(Int(finished.milliseconds)))) }
            if let error = action.error {
                fields.append(("error", .object([("code", .string(error.code)), ("message", .string(error.message))])))
            }
            return .object(fields)
        }).serialized()
    }

    static func decode(_ text: String) throws -> [StoredAction] {
        try JSONDecoder().decode([Action].self, from: Data(text.utf8)).map {
            StoredAction(path: $0.path, status: $0.status, attempts: $0.attempts,
                         startedAt: $0.startedAt.map(Date.init(milliseconds:)), finishedAt: $0.finishedAt.map(Date.init(milliseconds:)),
                         error: $0.error.map { StoredActionError(code: $0.code, message: $0.message) })
        }
    }
}

extension Date {
    /// Milliseconds since 1970, clamped to what an `Int64` holds (dates come from input).
    var milliseconds: Int64 {
        let value = (timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return 0 }
        if value >= 9.2e18 { return Int64.max }
        if value <= -9.2e18 { return Int64.min }
        return Int64(value)
    }

    init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
