import Foundation

/// Changes collected over several events and committed together by `StateStore.commit(_:)`, in one
/// SQLite transaction: either all of them are durable or none is.
///
/// The runtime's order for `--out FILE`: write and flush the batch's emits, put the file's new
/// length in the batch (`setOutputLength`), then commit. After a crash the committed length says
/// how much of the file belongs to committed events; the rest is cut off and written again.
///
/// The batch also answers for what it holds (`rememberedSide(flow:key:)`, `containsProcessed`), so a
/// caller can look through the pending changes before asking the store.
public struct StateBatch: Sendable {
    enum Change: Sendable {
        case side(flow: String, key: String, RememberedSide)
        case processed(source: String, id: String, at: Date)
        case position(InputPosition)
        case outputLength(path: String, length: Int64)
        case run(StoredRun)
    }

    private(set) var changes: [Change] = []
    private var pendingSides: [SideKey: RememberedSide] = [:]
    /// The latest processing time among the marks, the "now" of the window's age limit.
    private(set) var latestProcessedAt: Date?

    private struct SideKey: Hashable, Sendable {
        var flow: String
        var key: String
    }

    public init() {}

    public var isEmpty: Bool { changes.isEmpty }
    /// How many changes the batch holds.
    public var count: Int { changes.count }

    public mutating func setSide(_ side: Side, value: ObservedValue?, flow: String, key: String) {
        let observation = RememberedSide(side: side, value: value)
        changes.append(.side(flow: flow, key: key, observation))
        pendingSides[SideKey(flow: flow, key: key)] = observation
    }

    public mutating func markProcessed(source: String, id: String, at time: Date) {
        changes.append(.processed(source: source, id: id, at: time))
        if latestProcessedAt.map({ time > $0 }) ?? true { latestProcessedAt = time }
    }

    public mutating func setInputPosition(_ position: InputPosition) {
        changes.append(.position(position))
    }

    /// The length of `--out FILE` once this batch's emits are flushed.
    public mutating func setOutputLength(_ length: Int64, path: String) {
        changes.append(.outputLength(path: path, length: length))
    }

    /// Records a run, or replaces the record with the same id.
    public mutating func record(_ run: StoredRun) {
        changes.append(.run(run))
    }

    /// The side this batch sets for the key, if it sets one.
    public func rememberedSide(flow: String, key: String) -> RememberedSide? {
        pendingSides[SideKey(flow: flow, key: key)]
    }

    /// Whether this batch marks the event processed. A scan: a runtime keeps its own index of
    /// processed events, and a set kept here cost 5% of a run with `--state`.
    public func containsProcessed(source: String, id: String) -> Bool {
        changes.contains { change in
            if case .processed(source, id, _) = change { return true }
            return false
        }
    }

    public mutating func removeAll() {
        self = StateBatch()
    }
}
