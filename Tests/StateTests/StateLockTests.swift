import Foundation
import Testing
@testable import State

/// Only one `flowc run` may use a state file at a time.
@Suite struct StateLockTests {
    @Test func secondOpenerInTheSameProcessIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let first = try StateStore.open(path: path)
        let error = openError(path)
        #expect(error == .inUse(path: path, pid: getpid()))
        #expect(error?.description == "state file \(path) is in use by another flowc run (pid \(getpid()))")
        first.close()
        let second = try StateStore.open(path: path)
        #expect(second.schemaVersion == StateStore.currentSchemaVersion)
    }

    @Test func lockIsReleasedWhenTheStoreGoesAway() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        do {
            let store = try StateStore.open(path: path)
            #expect(store.isReadOnly == false)
        }
        _ = try StateStore.open(path: path)
    }

    @Test func readersNeedNoLock() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let writer = try StateStore.open(path: path)
        try writer.record(StoredRun(id: "r1", flow: "f", event: RunEvent(source: "s", id: "e", type: "t"), status: "running",
                                    startedAt: .at(100), finishedAt: nil, actions: []))
        let reader = try StateStore.openForReading(path: path)
        #expect(try reader.runs().map(\.status) == ["running"])
        try writer.record(StoredRun(id: "r1", flow: "f", event: RunEvent(source: "s", id: "e", type: "t"), status: "succeeded",
                                    startedAt: .at(100), finishedAt: .at(101), actions: []))
        #expect(try reader.runs().map(\.status) == ["succeeded"])
        #expect(throws: StateError.self) { try reader.setSide(.above, value: nil, flow: "f", key: "k") }
    }

    /// Another process holding the lock (as a running `flowc run` would) makes `open` fail with its pid;
    /// and a store's lock stops another process.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/env")))
    func lockConflictsAcrossProcesses() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("state.db")
        let script = """
            import fcntl, os, sys, time
            fd = os.open(sys.argv[1] + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                print("busy", flush=True)
                sys.exit(0)
            os.ftruncate(fd, 0)
            os.write(fd, (str(os.getpid()) + "\\n").encode())
            print("locked", flush=True)
            sys.stdin.read()
            """
        func child() throws -> (Process, Pipe, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, path]
            let output = Pipe()
            let input = Pipe()
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            return (process, output, input)
        }
        func firstLine(_ pipe: Pipe) -> String {
            var bytes: [UInt8] = []
            while true {
                let byte = pipe.fileHandleForReading.readData(ofLength: 1)
                guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
                bytes.append(first)
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        // The store holds the lock: the other process cannot take it.
        let store = try StateStore.open(path: path)
        let (busy, busyOutput, busyInput) = try child()
        #expect(firstLine(busyOutput) == "busy")
        try busyInput.fileHandleForWriting.close()
        busy.waitUntilExit()
        store.close()

        // The other process holds the lock: the store is refused with its pid.
        let (holder, holderOutput, holderInput) = try child()
        #expect(firstLine(holderOutput) == "locked")
        #expect(openError(path) == .inUse(path: path, pid: holder.processIdentifier))
        try holderInput.fileHandleForWriting.close()
        holder.waitUntilExit()
        // Its death releases the lock.
        _ = try StateStore.open(path: path)
    }
}
