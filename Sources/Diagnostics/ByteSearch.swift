#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == UInt8 {
    /// The index of the first `byte` at or after `start`, nil when there is none. Found with
    /// `memchr`, which tests many bytes per step: line tables, the lint's searches through
    /// whole files and the event reader's line splitting all run over every input byte.
    @inlinable
    public func index(of byte: UInt8, from start: Int) -> Int? {
        guard start >= 0, start < count else { return nil }
        return withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress,
                  let found = memchr(base + start, Int32(byte), buffer.count - start)
            else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }
}
