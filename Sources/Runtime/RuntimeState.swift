import Foundation

/// A number observed by a threshold trigger, kept with its kind so `trigger.previous` has the
/// watched field's type.
public enum ObservedNumber: Sendable, Hashable {
    case int(Int64)
    case double(Double)

    public var doubleValue: Double {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        }
    }
}

/// The last observation of one threshold trigger for one key (SPEC 5.4).
public struct ThresholdObservation: Sendable, Hashable {
    public var above: Bool
    public var value: ObservedNumber

    public init(above: Bool, value: ObservedNumber) {
        self.above = above
        self.value = value
    }
}

/// Where threshold triggers remember sides, per flow and key. In memory here; the durable
/// store (SPEC 8.5) implements the same protocol. Called from the dispatcher only, in event order.
public protocol ThresholdStore: AnyObject {
    func observation(flow: String, key: String) -> ThresholdObservation?
    func record(_ observation: ThresholdObservation, flow: String, key: String)
}

/// Which `(source, id)` pairs were already processed (duplicates, SPEC 5.1 and 8.5).
public protocol ProcessedEventWindow: AnyObject {
    /// Records the pair; false when it was seen before (a duplicate).
    func insert(source: String, id: String) -> Bool
}

public final class InMemoryThresholdStore: ThresholdStore {
    private struct Key: Hashable {
        var flow: String
        var key: String
    }

    private var sides: [Key: ThresholdObservation] = [:]

    public init() {}

    public func observation(flow: String, key: String) -> ThresholdObservation? {
        sides[Key(flow: flow, key: key)]
    }

    public func record(_ observation: ThresholdObservation, flow: String, key: String) {
        sides[Key(flow: flow, key: key)] = observation
    }
}

/// The last `capacity` event identities, kept as 64-bit hashes so a million of them fit in
/// about 40 MB (a false duplicate needs a 64-bit collision among them: odds about 1 in 10^7).
public final class InMemoryEventWindow: ProcessedEventWindow {
    private var seen: Set<UInt64> = []
    private var order: [UInt64] = []
    private var next = 0
    private let capacity: Int

    /// Reserves room for `capacity` hashes up front: memory is flat from the first event
    /// instead of growing with the stream until the window is full, and no rehashing happens
    /// on the reader's path.
    public init(capacity: Int = 1_000_000) {
        self.capacity = max(1, capacity)
        seen.reserveCapacity(self.capacity)
        order.reserveCapacity(self.capacity)
    }

    public func insert(source: String, id: String) -> Bool {
        let hash = Self.hash(source: source, id: id)
        guard seen.insert(hash).inserted else { return false }
        if order.count < capacity {
            order.append(hash)
        } else {
            seen.remove(order[next])
            order[next] = hash
            next = (next + 1) % capacity
        }
        return true
    }

    /// `hash(source:id:)` as 16 lower-case hex digits: run ids and trigger fingerprints.
    static func hexHash(source: String, id: String) -> String {
        let hex = String(hash(source: source, id: id), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// FNV-1a over `source`, a separator and `id`: stable across runs, unlike `Hasher`.
    static func hash(source: String, id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in source.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        hash ^= 0xff
        hash = hash &* 0x100_0000_01b3
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
