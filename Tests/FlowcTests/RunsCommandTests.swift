import Foundation
import Testing

/// `flowc runs` end to end, on a state file written the way a schema-2 flowc writes it (with
/// python3's sqlite3 module: this test target cannot import `State`).
@Suite struct RunsCommandTests {
    /// The schema-2 layout (see `Sources/State/StateSchema.swift`) and three runs.
    static let populate = """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1])
        db.executescript('''
        PRAGMA journal_mode = WAL;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE threshold_sides (flow TEXT NOT NULL, key TEXT NOT NULL, side TEXT NOT NULL, value, PRIMARY KEY (flow, key)) WITHOUT ROWID;
        CREATE TABLE processed_events (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, processed_at INTEGER NOT NULL, UNIQUE (source, id));
        CREATE TABLE input_positions (input TEXT PRIMARY KEY, identity TEXT, byte_offset INTEGER NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE outputs (path TEXT PRIMARY KEY, length INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, flow TEXT NOT NULL, event_source TEXT NOT NULL, event_id TEXT NOT NULL,
            event_type TEXT NOT NULL, status TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER,
            action_count INTEGER NOT NULL, actions TEXT NOT NULL, message TEXT);
        CREATE TABLE flows (flow TEXT PRIMARY KEY, fingerprint TEXT) WITHOUT ROWID;
        INSERT INTO meta VALUES ('schema', '2');
        PRAGMA application_id = 1179408195;
        PRAGMA user_version = 2;
        ''')
        runs = [
            ('run-a', 'vip-segment-growth', 'segment.refresh', 'succeeded', 1764115200000, 1764115200250,
             '[{"attempts":1,"finishedAt":1764115200250,"path":"notify","startedAt":1764115200010,"status":"succeeded"}]'),
            ('run-b', 'pipeline-failed', 'datasource.refresh', 'failed', 1764115260000, 1764115325000,
             '[{"attempts":3,"error":{"code":"http.status","message":"status 503 not in 200-299"},"finishedAt":1764115325000,"path":"page","startedAt":1764115260000,"status":"failed"},'
             '{"attempts":0,"path":"route/then/0","status":"skipped"}]'),
            ('run-c', 'vip-segment-growth', 'segment.refresh', 'running', 1764115300000, None, '[]'),
        ]
        for run_id, flow, event_type, status, started, finished, actions in runs:
            message = 'action `page` failed' if status == 'failed' else None
            db.execute('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                       (run_id, flow, 'cdp/prod', 'e-' + run_id, event_type, status, started, finished, actions.count('"path"'), actions, message))
        db.commit()
        db.close()
        """

    static func makeStateFile() throws -> (folder: URL, path: String) {
        let folder = try FlowcProcess.temporaryFolder()
        let path = folder.appendingPathComponent("state.db").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", populate, path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3 could not write the state file")
        return (folder, path)
    }

    @Test func listsRunsNewestFirst() throws {
        let (folder, path) = try Self.makeStateFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try FlowcProcess.run(["runs", "--state", path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("RUN    FLOW                STATUS     EVENT               STARTED") == true)
        #expect(lines.dropFirst().map { String($0.prefix(5)) } == ["run-c", "run-b", "run-a"])
        #expect(lines[1].contains("running") && lines[1].contains("2025-11-26T00:01:40Z") && lines[1].contains(" -  "))
        #expect(lines[2].contains("1m05s") && lines[2].hasSuffix("2"))
        #expect(lines[3].contains("250ms") && lines[3].hasSuffix("1"))
    }

    @Test func filtersAndLimits() throws {
        let (folder, path) = try Self.makeStateFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        let byFlow = try FlowcProcess.run(["runs", "--state", path, "--flow", "vip-segment-growth", "--limit", "1"])
        #expect(byFlow.status == 0)
        #expect(byFlow.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(5)) } == ["run-c"])
        let byStatus = try FlowcProcess.run(["runs", "list", "--state", path, "--status", "failed"])
        #expect(byStatus.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(5)) } == ["run-b"])
        let none = try FlowcProcess.run(["runs", "--state", path, "--flow", "nope"])
        #expect(none.status == 0)
        #expect(none.stdout.hasPrefix("no runs in "))
    }

    @Test func showsOneRunWithItsActions() throws {
        let (folder, path) = try Self.makeStateFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try FlowcProcess.run(["runs", "show", "run-b", "--state", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("flow      pipeline-failed"))
        #expect(result.stdout.contains("message   action `page` failed"))
        #expect(result.stdout.contains("event     datasource.refresh (source cdp/prod, id e-run-b)"))
        #expect(result.stdout.contains("finished  2025-11-26T00:02:05.000Z (1m05s)"))
        let actionLines = result.stdout.split(separator: "\n").drop { !$0.hasPrefix("ACTION") }.map(String.init)
        #expect(actionLines.count == 3)
        #expect(actionLines[1].hasPrefix("page          failed   3"))
        #expect(actionLines[1].hasSuffix("http.status: status 503 not in 200-299"))
        #expect(actionLines[2].hasPrefix("route/then/0  skipped  0         -"))
    }

    @Test func unknownRunIsExitTwo() throws {
        let (folder, path) = try Self.makeStateFile()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try FlowcProcess.run(["runs", "show", "run-z", "--state", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no run `run-z` in \(path)"))
    }

    @Test func missingOrForeignStateIsExitTwo() throws {
        let folder = try FlowcProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("none.db").path
        let result = try FlowcProcess.run(["runs", "--state", missing])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no state file at \(missing)"))

        let text = folder.appendingPathComponent("notes.db").path
        try "not a database at all, just some text that is long enough\n".write(toFile: text, atomically: true, encoding: .utf8)
        let foreign = try FlowcProcess.run(["runs", "--state", text])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("left untouched"))
    }

    @Test func badLimitIsAUsageError() throws {
        let result = try FlowcProcess.run(["runs", "--limit", "0", "--state", "x.db"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--limit must be at least 1"))
    }
}
