import Foundation

/// The layout of a state file and the migrations that bring an older file up to date.
///
/// A flowc state file carries `PRAGMA application_id` = `applicationID` (so `file(1)` and flowc
/// itself can tell it from other SQLite files) and `PRAGMA user_version` = its schema version.
/// The `meta` table repeats the version and records which flowc created the file.
enum StateSchema {
    /// "FLWC" in ASCII.
    static let applicationID: Int32 = 0x464C_5743

    /// Migration `n` (1-based) turns a schema `n - 1` file into a schema `n` file; schema 0 is empty.
    static let migrations: [String] = [
        // 1: the first layout.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE threshold_sides (
            flow TEXT NOT NULL,
            key TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('above', 'at_or_below')),
            PRIMARY KEY (flow, key)
        ) WITHOUT ROWID;
        CREATE TABLE processed_events (
            seq INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            id TEXT NOT NULL,
            processed_at INTEGER NOT NULL,
            UNIQUE (source, id)
        );
        CREATE INDEX processed_events_by_time ON processed_events (processed_at);
        CREATE TABLE input_positions (
            input TEXT PRIMARY KEY,
            identity TEXT,
            byte_offset INTEGER NOT NULL,
            line INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE outputs (path TEXT PRIMARY KEY, length INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            flow TEXT NOT NULL,
            event_source TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            action_count INTEGER NOT NULL,
            actions TEXT NOT NULL
        );
        CREATE INDEX runs_by_time ON runs (started_at);
        CREATE INDEX runs_by_flow ON runs (flow, started_at);
        """,
        // 2: the last observed value next to each side (for `trigger.previous` after a restart; the
        // column has no declared type so ints stay ints and doubles stay doubles); the flows the
        // state belongs to, with their trigger fingerprints, for `reconcile` (flows of a schema-1
        // file get an unknown fingerprint: their state is kept and the next fingerprint adopted);
        // runs listed by status, and why a run ended as it did.
        """
        ALTER TABLE threshold_sides ADD COLUMN value;
        ALTER TABLE runs ADD COLUMN message TEXT;
        CREATE TABLE flows (flow TEXT PRIMARY KEY, fingerprint TEXT) WITHOUT ROWID;
        INSERT INTO flows (flow, fingerprint) SELECT DISTINCT flow, NULL FROM threshold_sides;
        CREATE INDEX runs_by_status ON runs (status, started_at);
        """,
        // 3: processed events without the unique index on `(source, id)`. A runtime checks
        // repeats against the window it loads into memory, so the index only made every insert
        // a random B-tree write: it took a third of a 1,000,000-event run's commit time. Rows
        // are now appended in `seq` order (and by time); the pairs are the same.
        """
        CREATE TABLE processed_events_v3 (
            seq INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            id TEXT NOT NULL,
            processed_at INTEGER NOT NULL
        );
        INSERT INTO processed_events_v3 (seq, source, id, processed_at)
            SELECT seq, source, id, processed_at FROM processed_events ORDER BY seq;
        DROP TABLE processed_events;
        ALTER TABLE processed_events_v3 RENAME TO processed_events;
        CREATE INDEX processed_events_by_time ON processed_events (processed_at);
        """,
    ]

    static var currentVersion: Int { migrations.count }

    /// The tables a file of each version must hold.
    static func tables(forVersion version: Int) -> Set<String> {
        var tables: Set<String> = ["meta", "threshold_sides", "processed_events", "input_positions", "outputs", "runs"]
        if version >= 2 { tables.insert("flows") }
        return tables
    }

    /// What a file on disk holds, found without writing to it.
    enum Inspection: Equatable {
        /// No file, or an empty one (zero bytes, or a SQLite file without tables or application id).
        case blank
        /// A flowc state file of this schema version, which passed `PRAGMA quick_check`.
        case flowc(version: Int)
    }

    /// Opens the file read-only and decides whether flowc may use it: refuses damaged, foreign and
    /// newer files by throwing, before anything is created or written.
    static func inspect(path: String) throws(StateError) -> Inspection {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return .blank }
            throw .io(path: path, detail: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            throw .io(path: path, detail: "not a regular file")
        }
        if info.st_size == 0 { return .blank }
        do {
            // Without a `-wal` file the main file holds every commit and no connection is open:
            // reading it as immutable creates nothing next to it. With one, a run may be going on.
            let hasLog = access(path + "-wal", F_OK) == 0
            let connection = try SQLiteConnection(path: path, mode: hasLog ? .readOnly : .immutable)
            let applicationID = try connection.scalar("PRAGMA application_id")?.integer ?? 0
            let tableNames = try connection.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .compactMap { $0.first?.text }
            if applicationID == 0 {
                if tableNames.isEmpty { return .blank }
                let names = tableNames.prefix(5).map { "`\($0)`" }.joined(separator: ", ")
                throw StateError.foreign(path: path, detail: "it is a SQLite database with other tables (\(names)\(tableNames.count > 5 ? ", ..." : ""))")
            }
            guard applicationID == Int64(StateSchema.applicationID) else {
                let hex = String(UInt32(truncatingIfNeeded: applicationID), radix: 16, uppercase: true)
                throw StateError.foreign(path: path, detail: "it is a SQLite database of another application (application id 0x\(hex))")
            }
            let version = Int(try connection.scalar("PRAGMA user_version")?.integer ?? 0)
            if version > currentVersion {
                throw StateError.newerSchema(path: path, found: version, known: currentVersion)
            }
            guard version >= 1 else {
                throw StateError.corrupt(path: path, detail: "it has flowc's application id but no schema version")
            }
            let check = try connection.rows("PRAGMA quick_check").compactMap { $0.first?.text }
            guard check == ["ok"] else {
                throw StateError.corrupt(path: path, detail: "SQLite's integrity check failed: \(check.first ?? "no answer")")
            }
            let missing = tables(forVersion: version).subtracting(tableNames).sorted()
            guard missing.isEmpty else {
                throw StateError.corrupt(path: path, detail: "table `\(missing[0])` of schema \(version) is missing")
            }
            return .flowc(version: version)
        } catch let error as StateError {
            throw error
        } catch let error as SQLiteError {
            if error.isCorruption {
                throw .corrupt(path: path, detail: "not a SQLite database, or its pages are damaged (\(error.message))")
            }
            throw .io(path: path, detail: error.description)
        } catch {
            throw .io(path: path, detail: "\(error)")
        }
    }
}
