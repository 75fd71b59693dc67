import Foundation

/// An exclusive advisory lock (`flock`) on the sidecar `FILE.lock`, held while a store is open for
/// writing. `flock` belongs to the open file description, so the kernel releases it when the process
/// dies, even on `kill -9`, and two opens inside one process conflict just as two processes do.
/// The holder writes its pid into the file, for the message another opener prints.
final class StateFileLock {
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the lock for the state file at `statePath`, or throws `StateError.inUse`.
    static func acquire(forStateFile statePath: String) throws(StateError) -> StateFileLock {
        let lockPath = statePath + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .io(path: statePath, detail: "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = readPid(descriptor)
            close(descriptor)
            if reason == EWOULDBLOCK {
                throw .inUse(path: statePath, pid: holder)
            }
            throw .io(path: statePath, detail: "cannot lock \(lockPath): \(String(cString: strerror(reason)))")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return StateFileLock(path: lockPath, descriptor: descriptor)
    }

    /// Unlocks. The file stays: removing it would let a third opener lock a new file while a second
    /// still holds the old one.
    func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    private static func readPid(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
