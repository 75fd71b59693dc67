import Foundation
import Testing
@testable import State

/// `kill -9` a process in the middle of committing batches: what was committed is all there, a
/// batch is never half there, and the lock dies with the process.
@Suite struct StateCrashTests {
    static let childVariable = "FLOWC_STATE_CRASH_CHILD"
    static let eventsPerBatch: Int64 = 100

    /// The side the writer records once `line` events are committed: it flips every batch.
    static func side(afterLine line: Int64) -> Side {
        (line / eventsPerBatch) % 2 == 0 ? .atOrBelow : .above
    }

    /// The child: commits batches until it is killed. Runs only inside `writerKilledAtAnyMomentLosesNothing`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil))
    func crashChildWriter() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.childVariable] else { return }
        let store = try StateStore.open(path: path)
        var line = try store.inputPosition(for: "events.ndjson")?.line ?? 0
        while true {
            var batch = StateBatch()
            for _ in 0..<Self.eventsPerBatch {
                batch.markProcessed(source: "crash", id: String(line), at: .now)
                batch.record(StoredRun(id: "run-\(line)", flow: "f", event: RunEvent(source: "crash", id: String(line), type: "t"),
                                       status: "succeeded", startedAt: .now, finishedAt: .now, actions: []))
                line += 1
            }
            batch.setSide(Self.side(afterLine: line), value: .int(line), flow: "f", key: "k")
            batch.setInputPosition(InputPosition(input: "events.ndjson", identity: nil, offset: line * 10, line: line))
            batch.setOutputLength(line * 10, path: "out.ndjson")
            try store.commit(batch)
        }
    }

    @Test func writerKilledAtAnyMomentLosesNothing() throws {
        guard ProcessInfo.processInfo.environment[Self.childVariable] == nil else { return }
        let testBinary = CommandLine.arguments[0]
        guard testBinary.hasSuffix(".xctest"), FileManager.default.isExecutableFile(atPath: testBinary) else { return }
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        var previousLine: Int64 = 0
        for round in 1...3 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: testBinary)
            child.arguments = ["--testing-library", "swift-testing", "--filter", "crashChildWriter"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { _, new in new }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()

            // Wait until the child has committed a few thousand events more, then kill it mid-stream.
            let target = previousLine + 2_000 + Int64.random(in: 0..<1_000)
            let deadline = Date().addingTimeInterval(60)
            var seen: Int64 = 0
            while seen < target, Date() < deadline, child.isRunning {
                Thread.sleep(forTimeInterval: 0.02)
                if let reader = try? StateStore.openForReading(path: path) {
                    seen = (try? reader.inputPosition(for: "events.ndjson")?.line) ?? 0
                }
            }
            #expect(openError(path) == .inUse(path: path, pid: child.processIdentifier))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(seen >= target, "the child committed \(seen) events in round \(round)")

            let store = try StateStore.open(path: path)
            let line = try #require(try store.inputPosition(for: "events.ndjson")).line
            #expect(line >= seen && line % Self.eventsPerBatch == 0, "whole batches only")
            #expect(try store.processedCount() == Int(line))
            #expect(try store.isProcessed(source: "crash", id: String(line - 1)))
            #expect(try !store.isProcessed(source: "crash", id: String(line)))
            #expect(try store.runs(RunFilter(limit: 1_000_000)).count == Int(line))
            #expect(try store.rememberedSide(flow: "f", key: "k") == RememberedSide(side: Self.side(afterLine: line), value: .int(line)))
            #expect(try store.outputLength(path: "out.ndjson") == line * 10)
            store.close()
            previousLine = line
        }
    }
}
