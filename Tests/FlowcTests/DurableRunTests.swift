import Foundation
import Testing

/// `flowc run --state FILE` as a user runs it: crashes, restarts, duplicates, guards (SPEC 8.5).
@Suite struct DurableRunTests {
    /// One threshold flow (queued, so its runs and their emits keep input order) that emits on
    /// every crossing of 100 by the `S` segment, in either direction.
    static let crossingFlow = """
        flow: crossings
        concurrency: queued
        trigger:
          type: segment.threshold.crossed
          segment: S
          threshold: 100
          direction: any
        actions:
          - id: out
            type: emit
            with:
              type: test.crossed
              data:
                previous: ${{ trigger.previous }}
                current: ${{ trigger.current }}
                direction: ${{ trigger.direction }}

        """

    /// A folder holding the flow, an event stream and room for outputs.
    struct Workspace {
        let folder: URL
        var flows: String { folder.appendingPathComponent("flows").path }
        var events: String { folder.appendingPathComponent("events.ndjson").path }
        var state: String { folder.appendingPathComponent("state.db").path }
        var out: String { folder.appendingPathComponent("out.ndjson").path }

        init(flow: String = DurableRunTests.crossingFlow) throws {
            folder = try FlowcProcess.temporaryFolder()
            try FileManager.default.createDirectory(atPath: flows, withIntermediateDirectories: true)
            try flow.write(toFile: flows + "/crossings.yaml", atomically: true, encoding: .utf8)
        }

        func remove() {
            try? FileManager.default.removeItem(at: folder)
        }

        func read(_ path: String) -> String {
            (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }

        func run(_ extra: [String] = [], state: Bool = true, out: String? = nil) throws -> FlowcProcess.Result {
            var arguments = ["run", flows, "--events", events, "--out", out ?? self.out]
            if state { arguments += ["--state", self.state] }
            return try FlowcProcess.run(arguments + extra)
        }
    }

    /// `count` refreshes of segment `S` with member counts from a seeded generator, a few of them
    /// for other segments and failed refreshes (which change nothing), and some repeated ids.
    /// Returns the lines and how many crossings of 100 they hold.
    static func stream(count: Int, seed: UInt64) -> (text: String, crossings: Int) {
        var generator = SeededGenerator(seed: seed)
        var lines: [String] = []
        var side: Bool?
        var crossings = 0
        for index in 0..<count {
            let roll = generator.next() % 20
            if roll == 0, let previous = lines.last {
                lines.append(previous)  // a repeated delivery: a duplicate
                continue
            }
            let segment = roll == 1 ? "Other" : "S"
            let status = roll == 2 ? "failed" : "succeeded"
            let members = Int(generator.next() % 200)
            lines.append(#"{"specversion":"1.0","id":"e\#(index)","source":"/test","type":"segment.refresh","time":"2026-03-06T16:05:51Z","data":{"segment":"\#(segment)","status":"\#(status)","memberCount":\#(members)}}"#)
            guard segment == "S", status == "succeeded" else { continue }
            let above = members > 100
            if let side, side != above { crossings += 1 }
            side = above
        }
        return (lines.joined(separator: "\n") + "\n", crossings)
    }

    @Test func killedAtRandomMomentsTheOutputEqualsAnUninterruptedRun() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (text, crossings) = Self.stream(count: 20_000, seed: 7)
        try text.write(toFile: workspace.events, atomically: true, encoding: .utf8)

        // The reference: one uninterrupted run, with its own state file.
        let reference = workspace.folder.appendingPathComponent("reference.ndjson").path
        let clean = try FlowcProcess.run(["run", workspace.flows, "--events", workspace.events, "--out", reference, "--state", workspace.folder.appendingPathComponent("reference.db").path, "--checkpoint-events", "50"])
        #expect(clean.status == 0, "\(clean.stderr)")
        let expected = workspace.read(reference)
        #expect(expected.split(separator: "\n").count == crossings)
        let expectedBytes = UInt64(expected.utf8.count)

        let runs = workspace.folder.appendingPathComponent("runs.ndjson").path
        var generator = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        var kills = 0
        var finished = false
        // Each attempt is killed once its output has grown by a random share (up to a third) of
        // what is left: the kills land inside the work whatever the machine's speed, sometimes
        // right at start-up, sometimes between writing the last lines and committing them.
        // Bounded: at most 60 attempts, then one run to finish.
        for _ in 0..<60 {
            let process = Process()
            process.executableURL = FlowcProcess.executable
            process.arguments = ["run", workspace.flows, "--events", workspace.events, "--out", workspace.out, "--runs", runs, "--state", workspace.state, "--checkpoint-events", "50", "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let startSize = Self.size(of: workspace.out)
            try process.run()
            if startSize < expectedBytes {
                let target = startSize + generator.next() % ((expectedBytes - startSize) / 3 + 1)
                let deadline = Date().addingTimeInterval(30)
                while process.isRunning && Self.size(of: workspace.out) < target && Date() < deadline {
                    usleep(1_000)
                }
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
            }
            process.waitUntilExit()
            if process.terminationReason == .exit {
                #expect(process.terminationStatus == 0)
                finished = true
                break
            }
        }
        if !finished {
            let last = try workspace.run(["--checkpoint-events", "50", "--runs", runs])
            #expect(last.status == 0, "\(last.stderr)")
        }
        #expect(kills >= 3, "only \(kills) attempts were killed")
        let output = workspace.read(workspace.out)
        #expect(output == expected, "after \(kills) kills the output differs from the uninterrupted run")
        let ids = output.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["id"] as? String
        }
        #expect(ids.count == crossings)
        #expect(Set(ids).count == ids.count, "a crossing fired twice")

        // Every run is in the run records and in the history once.
        let recorded = workspace.read(runs).split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["run"] as? String
        }
        #expect(recorded.count == crossings)
        #expect(Set(recorded).count == recorded.count, "a run was recorded twice")
        let history = try FlowcProcess.run(["runs", "--state", workspace.state, "--limit", "100000"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.split(separator: "\n").count == crossings + 1)
    }

    @Test func aCleanRestartReadsOnlyWhatWasAppended() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (text, _) = Self.stream(count: 400, seed: 11)
        let lines = text.split(separator: "\n")
        try (lines.prefix(300).joined(separator: "\n") + "\n").write(toFile: workspace.events, atomically: false, encoding: .utf8)
        let first = try workspace.run()
        #expect(first.status == 0, "\(first.stderr)")
        let afterFirst = workspace.read(workspace.out)

        let again = try workspace.run()
        #expect(again.stderr.contains("resuming"))
        #expect(again.stderr.contains("flowc run: 0 events read"))
        #expect(workspace.read(workspace.out) == afterFirst)

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: workspace.events))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines.dropFirst(300).joined(separator: "\n") + "\n").utf8))
        try handle.close()
        let third = try workspace.run()
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("flowc run: 100 events read"), "\(third.stderr)")

        // Together the same as one run over everything.
        let reference = workspace.folder.appendingPathComponent("reference.ndjson").path
        _ = try workspace.run(state: false, out: reference)
        #expect(workspace.read(workspace.out) == workspace.read(reference))
    }

    @Test func eventsSeenBeforeAreDuplicatesEvenInAnotherFile() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let event = #"{"specversion":"1.0","id":"same","source":"/test","type":"segment.refresh","time":"2026-03-06T16:05:51Z","data":{"segment":"S","status":"succeeded","memberCount":5}}"#
        try "\(event)\n\(event)\n".write(toFile: workspace.events, atomically: true, encoding: .utf8)
        let first = try workspace.run()
        #expect(first.stderr.contains("2 events read, 0 rejected, 1 duplicates"), "\(first.stderr)")

        let other = workspace.folder.appendingPathComponent("more.ndjson").path
        try "\(event)\n".write(toFile: other, atomically: true, encoding: .utf8)
        let second = try FlowcProcess.run(["run", workspace.flows, "--events", other, "--out", workspace.out, "--state", workspace.state])
        #expect(second.status == 0)
        #expect(second.stderr.contains("1 events read, 0 rejected, 1 duplicates"), "\(second.stderr)")
    }

    @Test func aSecondRunOnTheSameStateIsRefused() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try "".write(toFile: workspace.events, atomically: true, encoding: .utf8)
        let follower = Process()
        follower.executableURL = FlowcProcess.executable
        follower.arguments = ["run", workspace.flows, "--events", workspace.events, "--follow", "--out", workspace.out, "--state", workspace.state]
        follower.standardOutput = FileHandle.nullDevice
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer {
            follower.terminate()
            follower.waitUntilExit()
        }
        // The follower holds the lock once it has created the state file and its lock.
        var waited = 0
        while !FileManager.default.fileExists(atPath: workspace.state + "-wal") && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        let second = try workspace.run()
        #expect(second.status == 2)
        #expect(second.stderr.contains("error:"), "\(second.stderr)")
        #expect(second.stderr.contains(workspace.state), "\(second.stderr)")
    }

    @Test func aFileThatIsNotStateIsRefusedAndLeftAlone() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try "".write(toFile: workspace.events, atomically: true, encoding: .utf8)
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try garbage.write(to: URL(fileURLWithPath: workspace.state))
        let result = try workspace.run()
        #expect(result.status == 2)
        #expect(result.stderr.contains("error:"), "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: workspace.state) == garbage)
    }

    @Test func aChangedTriggerDropsItsStateAndSaysSo() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let event = #"{"specversion":"1.0","id":"a","source":"/test","type":"segment.refresh","time":"2026-03-06T16:05:51Z","data":{"segment":"S","status":"succeeded","memberCount":150}}"#
        try "\(event)\n".write(toFile: workspace.events, atomically: true, encoding: .utf8)
        #expect(try workspace.run().status == 0)

        // Comments and layout do not change a trigger; its threshold does.
        try ("# moved\n" + Self.crossingFlow).write(toFile: workspace.flows + "/crossings.yaml", atomically: true, encoding: .utf8)
        let unchanged = try workspace.run()
        #expect(!unchanged.stderr.contains("dropped the threshold state"), "\(unchanged.stderr)")
        try Self.crossingFlow.replacingOccurrences(of: "threshold: 100", with: "threshold: 120")
            .write(toFile: workspace.flows + "/crossings.yaml", atomically: true, encoding: .utf8)
        let changed = try workspace.run()
        #expect(changed.status == 0)
        #expect(changed.stderr.contains("dropped the threshold state of flow `crossings` for `S`: its trigger changed"), "\(changed.stderr)")
    }
}

extension DurableRunTests {
    static func size(of path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}

/// SplitMix64: the same stream for the same seed on every machine.
struct SeededGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49EB_2311_13EB
        return value ^ (value >> 31)
    }
}
