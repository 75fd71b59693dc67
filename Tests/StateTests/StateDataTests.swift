import Foundation
import Testing
@testable import State

/// What the store keeps, across a close and a reopen.
@Suite struct StateDataTests {
    static let event = RunEvent(source: "cdp/prod", id: "e-42", type: "segment.refresh")

    static func run(_ id: String, flow: String = "vip", status: String = "succeeded", started: TimeInterval, actions: [StoredAction] = []) -> StoredRun {
        StoredRun(id: id, flow: flow, event: event, status: status, startedAt: .at(started),
                  finishedAt: .at(started + 1.5), message: status == "failed" ? "action `notify` failed" : nil, actions: actions)
    }

    @Test func everythingSurvivesAReopen() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let actions = [
            StoredAction(path: "notify", status: "failed", attempts: 3, startedAt: .at(1000.25), finishedAt: .at(1002.5),
                         error: StoredActionError(code: "http.status", message: "status 503 not in 200–299")),
            StoredAction(path: "route/then/0", status: "skipped", attempts: 0, startedAt: nil, finishedAt: nil),
        ]
        do {
            let store = try StateStore.open(path: path)
            var batch = StateBatch()
            batch.setSide(.above, value: .int(12_000), flow: "vip", key: "VIP Customers")
            batch.setSide(.atOrBelow, value: .double(0.5), flow: "churn", key: "Churn Rate")
            batch.setSide(.atOrBelow, value: .double(3.0), flow: "churn", key: "Whole")
            batch.markProcessed(source: "cdp/prod", id: "e-41", at: .now)
            batch.markProcessed(source: "cdp/prod", id: "e-42", at: .now)
            batch.setInputPosition(InputPosition(input: "events.ndjson", identity: "1:2", offset: 4096, line: 17))
            batch.setOutputLength(1234, path: "out.ndjson")
            batch.record(Self.run("run-1", status: "failed", started: 1000, actions: actions))
            #expect(batch.rememberedSide(flow: "vip", key: "VIP Customers")?.side == .above)
            #expect(batch.containsProcessed(source: "cdp/prod", id: "e-42"))
            #expect(!batch.containsProcessed(source: "cdp/prod", id: "e-43"))
            try store.commit(batch)
            store.close()
        }
        let store = try StateStore.open(path: path)
        #expect(try store.side(flow: "vip", key: "VIP Customers") == .above)
        #expect(try store.rememberedSide(flow: "vip", key: "VIP Customers")?.value == .int(12_000))
        #expect(try store.rememberedSide(flow: "churn", key: "Churn Rate") == RememberedSide(side: .atOrBelow, value: .double(0.5)))
        #expect(try store.rememberedSide(flow: "churn", key: "Whole")?.value == .double(3.0), "a whole double stays a double")
        #expect(try store.rememberedSides(flow: "churn").keys.sorted() == ["Churn Rate", "Whole"])
        #expect(try store.side(flow: "vip", key: "Other") == nil)
        #expect(try store.side(flow: "churn", key: "VIP Customers") == nil)
        #expect(try store.isProcessed(source: "cdp/prod", id: "e-42"))
        #expect(try !store.isProcessed(source: "cdp/prod", id: "e-43"))
        #expect(try !store.isProcessed(source: "cdp/test", id: "e-42"))
        #expect(try store.inputPosition(for: "events.ndjson") == InputPosition(input: "events.ndjson", identity: "1:2", offset: 4096, line: 17))
        #expect(try store.inputPosition(for: "other.ndjson") == nil)
        #expect(try store.outputLength(path: "out.ndjson") == 1234)
        #expect(try store.outputLength(path: "-") == nil)
        let run = try store.run(id: "run-1")
        #expect(run == Self.run("run-1", status: "failed", started: 1000, actions: actions))
        #expect(try store.run(id: "run-2") == nil)
    }

    @Test func fileIdentityTellsFilesApart() throws {
        let folder = try TemporaryFolder()
        let first = folder.path("a.ndjson")
        let second = folder.path("b.ndjson")
        #expect(FileManager.default.createFile(atPath: first, contents: Data("{}\n".utf8)))
        #expect(FileManager.default.createFile(atPath: second, contents: Data("{}\n".utf8)))
        let identity = try #require(InputPosition.identity(ofFileAt: first))
        #expect(InputPosition.identity(ofFileAt: first) == identity)
        #expect(InputPosition.identity(ofFileAt: second) != identity)
        #expect(InputPosition.identity(ofFileAt: folder.path("missing")) == nil)
    }

    @Test func failedBatchKeepsNothing() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let store = try StateStore.open(path: path)
        try withRawDatabase(path) { db throws in
            try db.execute("CREATE TRIGGER refuse BEFORE INSERT ON outputs BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        }
        var batch = StateBatch()
        batch.setSide(.above, value: .int(1), flow: "f", key: "k")
        batch.markProcessed(source: "s", id: "1", at: .now)
        batch.setInputPosition(InputPosition(input: "in", identity: nil, offset: 10, line: 1))
        batch.setOutputLength(10, path: "out")
        #expect(throws: StateError.self) { try store.commit(batch) }
        #expect(try store.side(flow: "f", key: "k") == nil)
        #expect(try !store.isProcessed(source: "s", id: "1"))
        #expect(try store.inputPosition(for: "in") == nil)
        // The store is still usable after the failed commit.
        try store.setSide(.atOrBelow, value: nil, flow: "f", key: "k")
        #expect(try store.side(flow: "f", key: "k") == .atOrBelow)
    }

    @Test func laterChangesReplaceEarlierOnes() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        var batch = StateBatch()
        batch.setSide(.above, value: .int(1), flow: "f", key: "k")
        batch.setSide(.atOrBelow, value: .int(0), flow: "f", key: "k")
        batch.setInputPosition(InputPosition(input: "in", identity: nil, offset: 10, line: 1))
        batch.setInputPosition(InputPosition(input: "in", identity: nil, offset: 20, line: 2))
        batch.markProcessed(source: "s", id: "1", at: .now)
        batch.markProcessed(source: "s", id: "1", at: .now)
        batch.record(Self.run("r", status: "running", started: 5))
        batch.record(Self.run("r", status: "succeeded", started: 5))
        try store.commit(batch)
        #expect(try store.side(flow: "f", key: "k") == .atOrBelow)
        #expect(try store.inputPosition(for: "in")?.offset == 20)
        #expect(try store.processedCount() == 1)
        #expect(try store.runs().map(\.status) == ["succeeded"])
    }

    @Test func runsAreListedNewestFirstAndFiltered() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        var batch = StateBatch()
        batch.record(Self.run("a", flow: "vip", status: "succeeded", started: 100))
        batch.record(Self.run("b", flow: "churn", status: "failed", started: 300,
                              actions: [StoredAction(path: "x", status: "failed", attempts: 1, startedAt: nil, finishedAt: nil)]))
        batch.record(Self.run("c", flow: "vip", status: "failed", started: 200))
        batch.record(Self.run("d", flow: "vip", status: "succeeded", started: 200))
        try store.commit(batch)
        #expect(try store.runs().map(\.id) == ["b", "d", "c", "a"], "same start: the later recorded first")
        #expect(try store.runs(RunFilter(flow: "vip")).map(\.id) == ["d", "c", "a"])
        #expect(try store.runs(RunFilter(status: "failed")).map(\.id) == ["b", "c"])
        #expect(try store.runs(RunFilter(flow: "vip", status: "failed")).map(\.id) == ["c"])
        #expect(try store.runs(RunFilter(limit: 2)).map(\.id) == ["b", "d"])
        #expect(try store.runs(RunFilter(flow: "nope")).isEmpty)
        let first = try #require(try store.runs().first)
        #expect(first.actionCount == 1)
        #expect(first.event == Self.event)
        #expect(first.finishedAt == .at(301.5))
    }

    @Test func oldRunsCanBePruned() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        var batch = StateBatch()
        batch.record(Self.run("old", started: 100))
        batch.record(Self.run("new", started: 500))
        batch.record(StoredRun(id: "going", flow: "vip", event: Self.event, status: "running", startedAt: .at(50), finishedAt: nil, actions: []))
        try store.commit(batch)
        #expect(try store.pruneRuns(finishedBefore: .at(400)) == 1)
        #expect(try store.runs().map(\.id) == ["new", "going"])
    }

    @Test func windowKeepsTheNewestPairs() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"), window: ProcessedWindow(maxCount: 5, maxAge: 3600))
        var batch = StateBatch()
        for index in 0..<12 {
            batch.markProcessed(source: "s", id: "\(index)", at: .at(10_000 + Double(index)))
        }
        try store.commit(batch)
        #expect(try store.processedCount() == 5)
        #expect(try !store.isProcessed(source: "s", id: "6"))
        #expect(try store.isProcessed(source: "s", id: "7"))
        #expect(try store.isProcessed(source: "s", id: "11"))
    }

    @Test func windowForgetsOldPairs() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"), window: ProcessedWindow(maxCount: 100, maxAge: 60))
        try store.markProcessed(source: "s", id: "old", at: .at(1000))
        try store.markProcessed(source: "s", id: "recent", at: .at(1030))
        #expect(try store.processedCount() == 2)
        try store.markProcessed(source: "s", id: "new", at: .at(1070))
        #expect(try !store.isProcessed(source: "s", id: "old"))
        #expect(try store.isProcessed(source: "s", id: "recent"))
        #expect(try store.pruneProcessed(now: .at(1200)) == 2)
        #expect(try store.processedCount() == 0)
    }

    @Test func reconcileDropsStateOfGoneAndChangedFlowsOnly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        do {
            let store = try StateStore.open(path: path)
            #expect(try store.reconcile(flows: [
                FlowFingerprint(flow: "kept", fingerprint: "t1"),
                FlowFingerprint(flow: "changed", fingerprint: "t1"),
                FlowFingerprint(flow: "gone", fingerprint: "t1"),
            ]).isEmpty)
            var batch = StateBatch()
            batch.setSide(.above, value: .int(1), flow: "kept", key: "A")
            batch.setSide(.above, value: .int(1), flow: "changed", key: "B")
            batch.setSide(.above, value: .int(1), flow: "changed", key: "A")
            batch.setSide(.atOrBelow, value: .int(1), flow: "gone", key: "C")
            batch.record(Self.run("r", flow: "gone", started: 1))
            try store.commit(batch)
        }
        let store = try StateStore.open(path: path)
        let dropped = try store.reconcile(flows: [
            FlowFingerprint(flow: "kept", fingerprint: "t1"),
            FlowFingerprint(flow: "changed", fingerprint: "t2"),
            FlowFingerprint(flow: "added", fingerprint: "t1"),
        ])
        #expect(dropped == [
            DroppedFlowState(flow: "changed", reason: .triggerChanged, thresholdKeys: ["A", "B"]),
            DroppedFlowState(flow: "gone", reason: .removed, thresholdKeys: ["C"]),
        ])
        #expect(dropped[0].description == "dropped the threshold state of flow `changed` for `A`, `B`: its trigger changed")
        #expect(try store.side(flow: "kept", key: "A") == .above)
        #expect(try store.side(flow: "changed", key: "A") == nil)
        #expect(try store.side(flow: "gone", key: "C") == nil)
        #expect(try store.run(id: "r") != nil, "run history is kept")
        #expect(try store.knownFlows() == ["kept": "t1", "changed": "t2", "added": "t1"])
        #expect(try store.reconcile(flows: [
            FlowFingerprint(flow: "kept", fingerprint: "t1"),
            FlowFingerprint(flow: "changed", fingerprint: "t2"),
            FlowFingerprint(flow: "added", fingerprint: "t1"),
        ]).isEmpty, "reconciling the same set again drops nothing")
    }

    @Test func textIsKeptExactly() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        let awkward = ["", "a\u{0}b", "Ünïcødé 🚀", "quote ' and \" and ; DROP TABLE runs"]
        for (index, text) in awkward.enumerated() {
            try store.setSide(.above, value: .int(Int64(index)), flow: text, key: text)
            try store.markProcessed(source: text, id: text, at: .now)
        }
        for (index, text) in awkward.enumerated() {
            #expect(try store.rememberedSide(flow: text, key: text)?.value == .int(Int64(index)))
            #expect(try store.isProcessed(source: text, id: text))
        }
        #expect(try !store.isProcessed(source: "a", id: "a"))
    }

    @Test func closedStoreThrows() throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        store.close()
        #expect(throws: StateError.self) { try store.side(flow: "f", key: "k") }
    }

    @Test func concurrentCallsAreSerialized() async throws {
        let folder = try TemporaryFolder()
        let store = try StateStore.open(path: folder.path("state.db"))
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<50 {
                        try? store.markProcessed(source: "task-\(task)", id: "\(index)", at: .now)
                        _ = try? store.isProcessed(source: "task-\(task)", id: "\(index)")
                    }
                }
            }
        }
        #expect(try store.processedCount() == 400)
    }

    /// Figures for the report: commits of 1,000 events' worth of changes per transaction.
    /// `FLOWC_STATE_BENCH=1 swift test --filter StateBench` prints them; asserts nothing.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FLOWC_STATE_BENCH"] != nil))
    func stateBench() throws {
        for durability in [Durability.processCrash, .powerLoss] {
            let folder = try TemporaryFolder()
            let store = try StateStore.open(path: folder.path("state.db"), durability: durability)
            let batches = 50
            let start = ContinuousClock.now
            for batchIndex in 0..<batches {
                var batch = StateBatch()
                for event in 0..<1_000 {
                    let number = batchIndex * 1_000 + event
                    batch.markProcessed(source: "cdp/prod", id: "event-\(number)", at: .now)
                    batch.setSide(number % 2 == 0 ? .above : .atOrBelow, value: .int(Int64(number)), flow: "flow-\(number % 10)", key: "segment-\(number % 500)")
                }
                batch.setInputPosition(InputPosition(input: "events.ndjson", identity: "1:2", offset: Int64(batchIndex * 300_000), line: Int64(batchIndex * 1_000)))
                batch.setOutputLength(Int64(batchIndex * 1_000), path: "out.ndjson")
                try store.commit(batch)
            }
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("state bench \(durability): \(batches) commits of 1,000 events in \(seconds)s = \(Double(batches) / seconds) commits/s, \(Double(batches * 1_000) / seconds) events/s")

            let singles = 500
            let singleStart = ContinuousClock.now
            for index in 0..<singles {
                var batch = StateBatch()
                batch.markProcessed(source: "cdp/single", id: "event-\(index)", at: .now)
                batch.setSide(.above, value: .int(Int64(index)), flow: "flow-0", key: "segment-\(index % 50)")
                batch.setInputPosition(InputPosition(input: "events.ndjson", identity: "1:2", offset: Int64(index * 300), line: Int64(index)))
                try store.commit(batch)
            }
            let singleElapsed = singleStart.duration(to: .now)
            let singleSeconds = Double(singleElapsed.components.seconds) + Double(singleElapsed.components.attoseconds) / 1e18
            print("state bench \(durability): \(Double(singles) / singleSeconds) commits/s of one event each")

            if durability == .processCrash {
                // A full window: how long `open` (with its integrity check) takes on a big file.
                for chunk in 0..<1_000 {
                    var fill = StateBatch()
                    for event in 0..<1_000 { fill.markProcessed(source: "fill", id: "\(chunk)-\(event)", at: .now) }
                    try store.commit(fill)
                }
                store.close()
                let size = (try? FileManager.default.attributesOfItem(atPath: folder.path("state.db"))[.size] as? Int) ?? 0
                let openStart = ContinuousClock.now
                let reopened = try StateStore.open(path: folder.path("state.db"))
                let openElapsed = openStart.duration(to: .now)
                print("state bench: open of a \(size / 1_000_000) MB file with \(try reopened.processedCount()) processed pairs took \(openElapsed)")
                continue
            }

            let lookups = 100_000
            let lookupStart = ContinuousClock.now
            for index in 0..<lookups {
                _ = try store.isProcessed(source: "cdp/prod", id: "event-\(index % 60_000)")
            }
            let lookupElapsed = lookupStart.duration(to: .now)
            let lookupSeconds = Double(lookupElapsed.components.seconds) + Double(lookupElapsed.components.attoseconds) / 1e18
            print("state bench \(durability): \(Double(lookups) / lookupSeconds) isProcessed lookups/s")
        }
    }
}
