import Foundation

/// Runs independent pieces of work on several threads and gives the results back in the
/// order of the pieces, so that what callers build from them does not depend on scheduling.
enum ParallelWork {
    /// `body(item)` for every item in `0..<count`, on up to `workers` threads.
    static func map<Result: Sendable>(count: Int, workers: Int, _ body: @Sendable (Int) -> Result) -> [Result] {
        map(count: count, workers: workers) { item, _ in body(item) }
    }

    /// `body(item, worker)` for every item; `worker` (in `0..<workers`) tells apart the threads,
    /// for state that one thread at a time may use.
    static func map<Result: Sendable>(count: Int, workers: Int, _ body: @Sendable (Int, Int) -> Result) -> [Result] {
        let threads = max(1, min(workers, count))
        guard threads > 1 else { return (0..<count).map { body($0, 0) } }
        let slots = Slots<Result>(count: count)
        // Small batches handed out in turn balance uneven items (one large flow) without
        // taking the lock for every item.
        let batch = max(1, min(16, count / (threads * 8)))
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            while let range = slots.claim(batch) {
                var results: [Result] = []
                results.reserveCapacity(range.count)
                for item in range { results.append(body(item, worker)) }
                slots.store(results, at: range.lowerBound)
            }
        }
        return slots.collected()
    }

    private final class Slots<Result>: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Result?]
        private var next = 0

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func claim(_ size: Int) -> Range<Int>? {
            lock.lock()
            defer { lock.unlock() }
            guard next < results.count else { return nil }
            let range = next..<min(results.count, next + size)
            next = range.upperBound
            return range
        }

        func store(_ batch: [Result], at start: Int) {
            lock.lock()
            defer { lock.unlock() }
            for (offset, result) in batch.enumerated() { results[start + offset] = result }
        }

        /// Every slot is filled once `concurrentPerform` has returned.
        func collected() -> [Result] {
            lock.lock()
            defer { lock.unlock() }
            return results.compactMap { $0 }
        }
    }
}
