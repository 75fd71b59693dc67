/// Which actions have surely finished where an expression stands (SPEC 4.3): a transitive
/// predecessor through sequence and `run_after` edges, or one that finished before the
/// enclosing control action began. Kept as a graph and queried, because materialized sets
/// grow with the square of the number of actions.
public final class ActionGraph: Sendable {
    /// Action ids by ``FlowAction/index`` (nil for actions without one).
    public let ids: [String?]
    /// What each action waits for: its in-scope `run_after` targets, else the previous sibling.
    public let dependencies: [[Int]]
    /// The control action directly around each action.
    public let enclosing: [Int?]
    /// Nil for a graph of a few actions, whose ids are scanned: a graph is made for every
    /// flow linted, and hashing each id cost more than the scans its few lookups make.
    private let indexByID: [String: Int]?
    private static let hashedFrom = 16

    public init(ids: [String?], dependencies: [[Int]], enclosing: [Int?]) {
        self.ids = ids
        self.dependencies = dependencies
        self.enclosing = enclosing
        if ids.count >= Self.hashedFrom {
            var byID: [String: Int] = [:]
            for (index, id) in ids.enumerated() {
                if let id, byID[id] == nil { byID[id] = index }
            }
            indexByID = byID
        } else {
            indexByID = nil
        }
    }

    public func index(of id: String) -> Int? {
        if let indexByID { return indexByID[id] }
        for (index, candidate) in ids.enumerated() {
            if let candidate, sameText(candidate, id) { return index }
        }
        return nil
    }

    /// The indices of the actions surely finished when `action` starts, in document order.
    /// A dependency edge makes its target finished; an enclosing edge only passes on what
    /// was finished when the control action started.
    public func finished(before action: Int) -> [Int] {
        guard ids.indices.contains(action) else { return [] }
        // Flags by index rather than sets: asked for every action of every flow typed, and
        // the sets' hashing and sorting were most of the cost.
        var reached = [Bool](repeating: false, count: ids.count)
        var finished = reached
        reached[action] = true
        var queue = [action]
        var head = 0
        var found = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in dependencies[node] where ids.indices.contains(next) {
                if !finished[next] {
                    finished[next] = true
                    found += 1
                }
                if !reached[next] {
                    reached[next] = true
                    queue.append(next)
                }
            }
            if let control = enclosing[node], ids.indices.contains(control), !reached[control] {
                reached[control] = true
                queue.append(control)
            }
        }
        var result: [Int] = []
        result.reserveCapacity(found)
        for index in finished.indices where finished[index] { result.append(index) }
        return result
    }
}

/// The actions readable as `actions.ID` at one expression.
public struct ActionVisibility: Sendable {
    public let graph: ActionGraph?
    /// The action the expression belongs to; nil outside actions (conditions, vars, trigger).
    public let action: Int?

    public static let none = ActionVisibility(graph: nil, action: nil)

    public init(graph: ActionGraph?, action: Int?) {
        self.graph = graph
        self.action = action
    }

    /// Ids of the visible actions, in document order.
    public var ids: [String] {
        guard let graph, let action else { return [] }
        return graph.finished(before: action).compactMap { graph.ids[$0] }
    }

    public func contains(_ id: String) -> Bool {
        guard let graph, let action, let target = graph.index(of: id) else { return false }
        return graph.finished(before: action).contains(target)
    }
}
