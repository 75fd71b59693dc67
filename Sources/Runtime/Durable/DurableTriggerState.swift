import Foundation
import State

/// Threshold sides and the processed-event window of a run with `--state` (SPEC 8.5).
///
/// Reads never touch SQLite: the sides of the flows being run and the window's `(source, id)`
/// pairs are loaded once at start, so the dispatcher's per-event cost stays that of the
/// in-memory stores. Every change is also added to the batch that the next checkpoint commits.
/// Called from the dispatcher only, in event order.
public final class DurableTriggerState: ThresholdStore, ProcessedEventWindow {
    private var sides: [String: [String: ThresholdObservation]] = [:]
    private let window: InMemoryEventWindow
    private var batch = StateBatch()

    /// Loads the sides of `flows` and the processed window from `store`.
    public init(store: StateStore, flows: [String]) throws(StateError) {
        window = InMemoryEventWindow(capacity: store.window.maxCount)
        for flow in Set(flows) {
            let remembered = try store.rememberedSides(flow: flow)
            guard !remembered.isEmpty else { continue }
            var observations: [String: ThresholdObservation] = [:]
            for (key, side) in remembered {
                observations[key] = ThresholdObservation(side)
            }
            sides[flow] = observations
        }
        let window = self.window
        try store.forEachProcessed { source, id in
            _ = window.insert(source: source, id: id)
        }
    }

    public func observation(flow: String, key: String) -> ThresholdObservation? {
        sides[flow]?[key]
    }

    public func record(_ observation: ThresholdObservation, flow: String, key: String) {
        sides[flow, default: [:]][key] = observation
        batch.setSide(observation.above ? .above : .atOrBelow, value: observation.storedValue, flow: flow, key: key)
    }

    /// The processing time recorded with each event, read once per 1,024 events and at each
    /// checkpoint: the window's age limit is seven days, so a clock read per event buys nothing.
    private var processedAt = Date()
    private var sinceClockRead = 0

    public func insert(source: String, id: String) -> Bool {
        guard window.insert(source: source, id: id) else { return false }
        sinceClockRead += 1
        if sinceClockRead >= 1024 {
            processedAt = Date()
            sinceClockRead = 0
        }
        batch.markProcessed(source: source, id: id, at: processedAt)
        return true
    }

    /// The changes since the last call, for a checkpoint to commit.
    func takeChanges() -> StateBatch {
        defer {
            batch = StateBatch()
            processedAt = Date()
            sinceClockRead = 0
        }
        return batch
    }
}

extension ThresholdObservation {
    /// A side read back from the store; a side stored without its value (schema 1) reads as 0,
    /// which only shows in `trigger.previous` of the first crossing after the upgrade.
    init(_ remembered: RememberedSide) {
        let value: ObservedNumber = switch remembered.value {
        case .int(let number): .int(number)
        case .double(let number): .double(number)
        case nil: .int(0)
        }
        self.init(above: remembered.side == .above, value: value)
    }

    var storedValue: ObservedValue {
        switch value {
        case .int(let number): .int(number)
        case .double(let number): .double(number)
        }
    }
}

/// Finished runs waiting for the next checkpoint; runs finish on any thread.
public final class RunHistory: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [StoredRun] = []

    public init() {}

    func add(_ record: RunRecord, redactor: Redactor) {
        let run = StoredRun(
            id: record.run,
            flow: record.flow,
            event: RunEvent(source: record.event.source, id: record.event.id, type: record.event.type),
            status: record.status,
            startedAt: record.startedAt,
            finishedAt: record.finishedAt,
            message: record.message.map(redactor.redact),
            actions: record.actions.map { action in
                StoredAction(
                    path: action.path, status: action.status.rawValue, attempts: action.attempts,
                    startedAt: action.startedAt, finishedAt: action.finishedAt,
                    error: action.error.map { StoredActionError(code: $0.code, message: redactor.redact($0.message)) }
                )
            }
        )
        lock.lock()
        pending.append(run)
        lock.unlock()
    }

    func take() -> [StoredRun] {
        lock.lock()
        defer {
            pending.removeAll()
            lock.unlock()
        }
        return pending
    }
}
