import Diagnostics
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set from a signal handler; checked by the reader between lines and while it waits.
public final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)

    public init() {}

    public var isSet: Bool { stopped.load(ordering: .acquiring) }

    public func set() {
        stopped.store(true, ordering: .releasing)
    }
}

/// Reads NDJSON lines from a file descriptor in 256 KiB chunks. It waits with `poll` in short
/// slices so that a stop request is noticed even while stdin is idle, and with `follow` it
/// keeps reading a file as it grows (`tail -f`).
public final class LineReader {
    private let descriptor: Int32
    private let follow: Bool
    private let stop: StopFlag
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Called when the reader is about to wait for more input (flush outputs then).
    public var onIdle: () -> Void = {}
    public private(set) var lineNumber = 0
    /// Bytes consumed before `buffer[0]`.
    private var discarded: Int64 = 0
    /// Bytes of the input consumed through the last line returned, its newline included: where
    /// a resumed run starts reading (SPEC 8.5).
    public var offset: Int64 { discarded + Int64(start) }
    /// False while the rest of an over-long line is being skipped: `offset` is then inside it.
    public var isAtLineBoundary: Bool { !skippingRest }
    /// Lines longer than this are not kept in memory: `next` returns their first bytes and
    /// sets `lastLineTooLong`, and the rest of the line is skipped.
    public var maxLineLength = 16 << 20
    public private(set) var lastLineTooLong = false
    private var skippingRest = false
    /// Where `read` puts bytes, reused: 256 KiB per system call.
    private var chunk = [UInt8](repeating: 0, count: 1 << 18)

    /// `offset` and `lineNumber` start at those of a resumed position (the descriptor must be
    /// positioned there already).
    public init(descriptor: Int32, follow: Bool = false, stop: StopFlag = StopFlag(), offset: Int64 = 0, lineNumber: Int = 0) {
        self.descriptor = descriptor
        self.follow = follow
        self.stop = stop
        self.discarded = offset
        self.lineNumber = lineNumber
    }

    /// The next line without its `\n` (and `\r`), or nil at the end or after a stop.
    public func next() -> ArraySlice<UInt8>? {
        lastLineTooLong = false
        while true {
            if stop.isSet { return nil }
            if skippingRest {
                if let newline = newline(from: start) {
                    start = newline + 1
                    skippingRest = false
                } else {
                    start = buffer.count
                    if atEnd { return nil }
                }
            }
            if !skippingRest && buffer.count - start > maxLineLength && newline(from: start) == nil {
                let head = buffer[start..<(start + 256)]
                start = buffer.count
                skippingRest = true
                lineNumber += 1
                lastLineTooLong = true
                return head
            }
            if skippingRest {
                if start > 0 {
                    discarded += Int64(start)
                    buffer.removeSubrange(0..<start)
                    start = 0
                }
                fill()
                continue
            }
            if let newline = newline(from: start) {
                if newline - start > maxLineLength {
                    let head = buffer[start..<(start + 256)]
                    start = newline + 1
                    lineNumber += 1
                    lastLineTooLong = true
                    return head
                }
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 {
                discarded += Int64(start)
                buffer.removeSubrange(0..<start)
                start = 0
            }
            fill()
        }
    }

    /// The index of the first `\n` at or after `index` (memchr: the reader's share of a line's
    /// cost drops from about 4% to 1% of `flowc-bench run`).
    private func newline(from index: Int) -> Int? {
        buffer.index(of: 0x0A, from: index)
    }

    private func fill() {
        var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollDescriptor, 1, 200)
        if ready == 0 {
            onIdle()
            return
        }
        if ready < 0 && errno == EINTR { return }
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            chunk.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<count])) }
        } else if count < 0 && errno == EINTR {
            return
        } else if follow {
            onIdle()
            usleep(100_000)
        } else {
            atEnd = true
        }
    }
}
