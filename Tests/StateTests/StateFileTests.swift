import Foundation
import Testing
@testable import State

/// Opening state files: creation, upgrade, and the files flowc must refuse and leave alone.
@Suite struct StateFileTests {
    @Test func newFileGetsTheCurrentSchema() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let store = try StateStore.open(path: path)
        #expect(store.schemaVersion == StateStore.currentSchemaVersion)
        store.close()
        try withRawDatabase(path) { db throws in
            #expect(try db.scalar("PRAGMA application_id")?.integer == 0x464C_5743)
            #expect(try db.scalar("PRAGMA user_version")?.integer == Int64(StateStore.currentSchemaVersion))
            #expect(try db.scalar("PRAGMA journal_mode")?.text == "wal")
            #expect(try db.scalar("SELECT value FROM meta WHERE key = 'schema'")?.text == "\(StateStore.currentSchemaVersion)")
            #expect(try db.scalar("SELECT value FROM meta WHERE key = 'created_by'")?.text == "flowc")
        }
        #expect(try StateSchema.inspect(path: path) == .flowc(version: StateStore.currentSchemaVersion))
    }

    @Test func reopeningKeepsTheFileAsItIs() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        try StateStore.open(path: path).setSide(.above, value: .int(5), flow: "f", key: "k")
        let store = try StateStore.open(path: path)
        #expect(try store.side(flow: "f", key: "k") == .above)
    }

    @Test func emptyFileIsInitialised() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let store = try StateStore.open(path: path)
        #expect(store.schemaVersion == StateStore.currentSchemaVersion)
    }

    @Test func schemaOneFileIsUpgradedAndKeepsItsState() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("old.db")
        try withRawDatabase(path) { db throws in
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute(StateSchema.migrations[0])
            try db.execute("PRAGMA application_id = \(StateSchema.applicationID)")
            try db.execute("PRAGMA user_version = 1")
            try db.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
            try db.execute("INSERT INTO threshold_sides (flow, key, side) VALUES ('vip', 'VIP Customers', 'above')")
            try db.execute("INSERT INTO processed_events (source, id, processed_at) VALUES ('src', 'e1', 1000)")
            try db.execute("""
                INSERT INTO runs (run_id, flow, event_source, event_id, event_type, status, started_at, finished_at, action_count, actions)
                VALUES ('r1', 'vip', 'src', 'e1', 'segment.refresh', 'succeeded', 1000, 2000, 0, '[]')
                """)
        }
        #expect(try StateSchema.inspect(path: path) == .flowc(version: 1))

        // A reader does not upgrade, and still reads the runs of an old file.
        let reader = try StateStore.openForReading(path: path)
        #expect(reader.schemaVersion == 1)
        #expect(try reader.runs().map(\.id) == ["r1"])
        #expect(try reader.run(id: "r1")?.status == "succeeded")
        #expect(try reader.rememberedSide(flow: "vip", key: "VIP Customers") == RememberedSide(side: .above, value: nil))
        reader.close()

        let store = try StateStore.open(path: path)
        #expect(store.schemaVersion == StateStore.currentSchemaVersion)
        #expect(try store.isProcessed(source: "src", id: "e1"))
        #expect(try store.rememberedSide(flow: "vip", key: "VIP Customers") == RememberedSide(side: .above, value: nil))
        #expect(try store.knownFlows() == ["vip": String?.none])
        #expect(try store.run(id: "r1")?.message == nil)
        // The unknown fingerprint is adopted, not taken for a change.
        #expect(try store.reconcile(flows: [FlowFingerprint(flow: "vip", fingerprint: "t1")]).isEmpty)
        #expect(try store.side(flow: "vip", key: "VIP Customers") == .above)
        try store.setSide(.atOrBelow, value: .int(3), flow: "vip", key: "VIP Customers")
        store.close()
        try withRawDatabase(path) { db throws in
            #expect(try db.scalar("PRAGMA user_version")?.integer == Int64(StateStore.currentSchemaVersion))
            #expect(try db.scalar("SELECT value FROM meta WHERE key = 'upgraded_from'")?.text == "1")
            #expect(try db.scalar("SELECT value FROM meta WHERE key = 'schema'")?.text == "\(StateStore.currentSchemaVersion)")
            // Schema 3 appends processed pairs without a unique index on them.
            #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'processed_events'")?.integer == 1)
        }
    }

    @Test func newerSchemaIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        try StateStore.open(path: path).setSide(.above, value: nil, flow: "f", key: "k")
        let newer = StateStore.currentSchemaVersion + 1
        let known = StateStore.currentSchemaVersion
        try withRawDatabase(path) { db throws in try db.execute("PRAGMA user_version = \(newer)") }
        let before = try fileBytes(path)
        let error = openError(path)
        #expect(error == .newerSchema(path: path, found: newer, known: known))
        #expect(error?.description == "state file \(path) was written by a newer flowc (schema \(newer); this flowc knows \(known))")
        #expect(try fileBytes(path) == before)
        #expect(throws: StateError.newerSchema(path: path, found: newer, known: known)) { try StateStore.openForReading(path: path) }
    }

    @Test func fileThatIsNotSQLiteIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let text = Data(String(repeating: "this is not a database\n", count: 300).utf8)
        try text.write(to: URL(fileURLWithPath: path))
        guard case .corrupt(let reported, _)? = openError(path) else {
            Issue.record("expected a corrupt-file error")
            return
        }
        #expect(reported == path)
        #expect(try fileBytes(path) == text)
        #expect(try folder.files() == ["state.db"], "nothing created next to the file, not even the lock")
    }

    @Test func stateFileWithDamagedPagesIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let store = try StateStore.open(path: path)
        var batch = StateBatch()
        for index in 0..<2_000 {
            batch.setSide(.above, value: .int(Int64(index)), flow: "flow-\(index % 7)", key: "key-\(index)")
            batch.markProcessed(source: "src", id: "event-\(index)", at: .at(1_000_000))
        }
        try store.commit(batch)
        store.close()
        try FileManager.default.removeItem(atPath: path + ".lock")
        // Overwrite the b-tree page headers of every page but the first (which keeps the SQLite
        // header and flowc's application id, so that the damage is found by the integrity check).
        var bytes = try fileBytes(path)
        let pageSize = 4096
        #expect(bytes.count > 16 * pageSize)
        for page in stride(from: pageSize, to: bytes.count, by: pageSize) {
            bytes.replaceSubrange(page..<(page + 12), with: Data(repeating: 0xA5, count: 12))
        }
        try bytes.write(to: URL(fileURLWithPath: path))

        guard case .corrupt? = openError(path) else {
            Issue.record("expected a corrupt-file error, got \(String(describing: openError(path)))")
            return
        }
        #expect(try fileBytes(path) == bytes)
        #expect(try folder.files() == ["state.db"], "nothing created next to the file")
    }

    @Test func sqliteFileOfAnotherProgramIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("customers.db")
        try withRawDatabase(path) { db throws in
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')")
        }
        let before = try fileBytes(path)
        let error = openError(path)
        guard case .foreign(let reported, let detail)? = error else {
            Issue.record("expected a foreign-file error, got \(String(describing: error))")
            return
        }
        #expect(reported == path)
        #expect(detail.contains("`customers`"))
        #expect(error?.description.hasPrefix("\(path) is not a flowc state file and was left untouched") == true)
        #expect(try fileBytes(path) == before)
        #expect(try folder.files() == ["customers.db"])
        try withRawDatabase(path) { db throws in
            #expect(try db.scalar("SELECT count(*) FROM sqlite_schema")?.integer == 1)
        }
    }

    @Test func sqliteFileWithAnotherApplicationIDIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("other.db")
        try withRawDatabase(path) { db throws in try db.execute("PRAGMA application_id = 1234") }
        let before = try fileBytes(path)
        guard case .foreign(_, let detail)? = openError(path) else {
            Issue.record("expected a foreign-file error")
            return
        }
        #expect(detail.contains("0x4D2"))
        #expect(try fileBytes(path) == before)
    }

    @Test func pathsWithURICharactersWork() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state ?#%20.db")
        try StateStore.open(path: path).setSide(.above, value: nil, flow: "f", key: "k")
        #expect(try StateStore.open(path: path).side(flow: "f", key: "k") == .above)
        #expect(try folder.files() == ["state ?#%20.db", "state ?#%20.db.lock"])
    }

    @Test func missingFoldersAreCreated() throws {
        let folder = try TemporaryFolder()
        let path = folder.path(".flowc/nested/state.db")
        _ = try StateStore.open(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func readingNeedsAnExistingFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("missing.db")
        #expect(throws: StateError.notFound(path: path)) { try StateStore.openForReading(path: path) }
        #expect(try folder.files().isEmpty)
    }
}
