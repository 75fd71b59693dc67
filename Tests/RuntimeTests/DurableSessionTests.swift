import Foundation
import Graph
import State
import Testing
@testable import Runtime

/// The pieces of `flowc run --state` in process: sides and runs reach the store at a checkpoint,
/// output files are cut back, input positions are trusted only for the same file.
@Suite struct DurableSessionTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flowc-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func crossingFlow(threshold: Double = 100) -> GraphFlow {
        thresholdFlow("crossing", segment: "S", threshold: threshold, direction: "any", [
            act("out", "emit", [("type", .string("crossed")), ("data", exprValue("trigger.current"))]),
        ])
    }

    /// Runs `lines` through an engine backed by a session on `state`, then checkpoints. On a
    /// plain thread, as `flowc run` does: a checkpoint blocks its thread until runs end, and runs
    /// need the cooperative pool that the test's own thread belongs to.
    private func run(_ lines: [String], state: String, out: String, flow: GraphFlow) async throws -> (RunCounts, [DroppedFlowState]) {
        try await onPlainThread { try self.runBlocking(lines, state: state, out: out, flow: flow) }
    }

    private func runBlocking(_ lines: [String], state: String, out: String, flow: GraphFlow) throws -> (RunCounts, [DroppedFlowState]) {
        let registry = EventTypeRegistry()
        let compiled = try CompiledFlow(flow, registry: registry)
        let session = try DurableSession(path: state, flows: [compiled])
        defer { session.close() }
        let sink = try session.openOutput(path: out)
        var outputs = RunOutputs(events: sink, log: MemoryLineSink())
        outputs.history = session.history
        let services = RunServices(env: [:], secrets: [:], outputs: outputs)
        let engine = Engine(flows: [compiled], services: services, registry: registry, thresholds: session.triggerState, window: session.triggerState)
        for (offset, line) in lines.enumerated() { engine.process(line: line, number: offset + 1) }
        try session.checkpoint(engine: engine, offset: 0, line: Int64(lines.count))
        return (engine.currentCounts, session.dropped)
    }

    @Test func sidesRunsAndProcessedEventsSurviveTheSession() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("state.db").path
        let out = root.appendingPathComponent("out.ndjson").path
        let (first, _) = try await run([segmentEvent(50, segment: "S"), segmentEvent(150, segment: "S")], state: state, out: out, flow: crossingFlow())
        #expect(first.runs["succeeded"] == 1)

        // The side (above) was kept: 160 is no crossing, 90 is; the repeated 150 is a duplicate.
        let (second, _) = try await run([segmentEvent(150, segment: "S"), segmentEvent(160, segment: "S"), segmentEvent(90, segment: "S")], state: state, out: out, flow: crossingFlow())
        #expect(second.duplicates == 1)
        #expect(second.runs["succeeded"] == 1)
        let emitted = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(emitted.count == 2)

        let store = try StateStore.openForReading(path: state)
        defer { store.close() }
        #expect(try store.rememberedSide(flow: "crossing", key: "S") == RememberedSide(side: .atOrBelow, value: .int(90)))
        #expect(try store.runs().count == 2)
        #expect(try store.processedCount() == 4)
        #expect(try store.outputLength(path: DurableSession.canonicalPath(out)) == Int64(emitted.reduce(0) { $0 + $1.utf8.count + 1 }))
    }

    @Test func aChangedThresholdDropsTheFlowsSides() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("state.db").path
        let out = root.appendingPathComponent("out.ndjson").path
        _ = try await run([segmentEvent(150, segment: "S")], state: state, out: out, flow: crossingFlow())
        let (_, same) = try await run([], state: state, out: out, flow: crossingFlow())
        #expect(same.isEmpty)
        let (counts, dropped) = try await run([segmentEvent(50, segment: "S", id: "new")], state: state, out: out, flow: crossingFlow(threshold: 120))
        #expect(dropped.map(\.flow) == ["crossing"])
        #expect(dropped.first?.reason == .triggerChanged)
        #expect(dropped.first?.thresholdKeys == ["S"])
        // With the side dropped, 50 is a first observation again: no run.
        #expect(counts.runsStarted == 0)
    }

    @Test func fingerprintsIgnoreWhereTheTriggerIsWritten() {
        var moved = crossingFlow().trigger
        moved.span = GraphSpan(file: "elsewhere.yaml", line: 40, column: 3, endLine: 44, endColumn: 1)
        moved.filter?.span = moved.span
        #expect(DurableSession.fingerprint(of: moved) == DurableSession.fingerprint(of: crossingFlow().trigger))
        #expect(DurableSession.fingerprint(of: crossingFlow(threshold: 101).trigger) != DurableSession.fingerprint(of: crossingFlow().trigger))
    }

    @Test func outputFilesAreCutBackToTheirCommittedLength() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("out.ndjson").path
        try "committed\nnot committed\n".write(toFile: path, atomically: true, encoding: .utf8)
        let sink = try FileLineSink(path: path, keepingFirst: 10)
        sink.write("next")
        sink.flush()
        #expect(sink.flushedLength == 15)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "committed\nnext\n")
        let whole = try FileLineSink(path: path, keepingFirst: nil)
        #expect(whole.flushedLength == 15)
    }

    @Test func anOutputShorterThanItsCommittedLengthIsRefused() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("state.db").path
        let out = root.appendingPathComponent("out.ndjson").path
        _ = try await run([segmentEvent(50, segment: "S"), segmentEvent(150, segment: "S")], state: state, out: out, flow: crossingFlow())
        try "".write(toFile: out, atomically: true, encoding: .utf8)
        let registry = EventTypeRegistry()
        let session = try DurableSession(path: state, flows: [try CompiledFlow(crossingFlow(), registry: registry)])
        defer { session.close() }
        #expect(throws: SinkError.self) { try session.openOutput(path: out) }
    }

    @Test func inputPositionsAreTrustedOnlyForTheSameFile() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("state.db").path
        let input = root.appendingPathComponent("events.ndjson").path
        try "a\nb\n".write(toFile: input, atomically: false, encoding: .utf8)
        let registry = EventTypeRegistry()
        let flows = [try CompiledFlow(crossingFlow(), registry: registry)]
        do {
            let session = try DurableSession(path: state, flows: flows)
            defer { session.close() }
            #expect(try session.resumePosition(forInput: input) == .start)
            let engine = Engine(flows: [], services: RunServices(env: [:], secrets: [:], outputs: RunOutputs(events: MemoryLineSink(), log: MemoryLineSink())), registry: registry)
            try session.checkpoint(engine: engine, offset: 4, line: 2)  // no flows: nothing to wait for
        }
        do {
            let session = try DurableSession(path: state, flows: flows)
            defer { session.close() }
            #expect(try session.resumePosition(forInput: input) == .resumed(offset: 4, line: 2))
        }
        // Replaced by another file (another inode): read from the start.
        try FileManager.default.removeItem(atPath: input)
        try "c\n".write(toFile: input, atomically: false, encoding: .utf8)
        let session = try DurableSession(path: state, flows: flows)
        defer { session.close() }
        #expect(try session.resumePosition(forInput: input) == .restartedInput(previousLine: 2))
    }
}

/// Runs `body` on a new thread (not one of the cooperative pool's) and returns its result.
func onPlainThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
