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
    private let indexByID: [String: Int]

    public init(ids: [String?], dependencies: [[Int]], enclosing: [Int?]) {
        self.ids = ids
        self.dependencies = dependencies
        self.enclosing = enclosing
        var byID: [String: Int] = [:]
        for (index, id) in ids.enumerated() {
            if let id, byID[id] == nil { byID[id] = index }
        }
        indexByID = byID
    }

    public func index(of id: String) -> Int? { indexByID[id] }

    /// The indices of the actions surely finished when `action` starts, in document order.
    /// A dependency edge makes its target finished; an enclosing edge only passes on what
    /// was finished when the control action started.
    public func finished(before action: Int) -> [Int] {
        guard ids.indices.contains(action) else { return [] }
        var reached = Set<Int>([action])
        var finished = Set<Int>()
        var queue = [action]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in dependencies[node] where ids.indices.contains(next) {
                finished.insert(next)
                if reached.insert(next).inserted { queue.append(next) }
            }
            if let control = enclosing[node], ids.indices.contains(control), reached.insert(control).inserted {
                queue.append(control)
            }
        }
        return finished.sorted()
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
