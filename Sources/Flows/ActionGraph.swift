/// Which actions have surely finished where an expression stands (SPEC 4.3): a transitive
/// predecessor through sequence and `run_after` edges, or one that finished before the
/// enclosing control action began. Kept as a graph and queried, because materialized sets
/// grow with the square of the number of actions.
public final class ActionGraph: Sendable {
    /// Action ids by ``FlowAction/index`` (nil for actions without one).
    public let ids: [String?]
    /// The control action directly around each action.
    public var enclosing: [Int?] { parents.map { $0 >= 0 ? $0 : nil } }
    /// The control action directly around each action, -1 for none: the checker's own table,
    /// taken over without building an array of optionals per flow.
    let parents: [Int]
    // Dependencies are kept flat: the targets of action `a` are `dependencyTargets[dependencyStarts[a]..<dependencyStarts[a + 1]]`.
    // An array per action was an allocation per action of every flow linted, and its
    // teardown with the flow's (measured in callgrind runs of the lint benchmark).
    let dependencyStarts: [Int]
    let dependencyTargets: [Int]
    /// Nil for a graph of a few actions, whose ids are scanned: a graph is made for every
    /// flow linted, and hashing each id cost more than the scans its few lookups make.
    private let indexByID: [String: Int]?
    private static let hashedFrom = 16

    /// What each action waits for: its in-scope `run_after` targets, else the previous sibling.
    public var dependencies: [[Int]] {
        ids.indices.map { Array(dependencies(of: $0)) }
    }

    public convenience init(ids: [String?], dependencies: [[Int]], enclosing: [Int?]) {
        var starts: [Int] = [0]
        starts.reserveCapacity(ids.count + 1)
        var targets: [Int] = []
        for action in ids.indices {
            if dependencies.indices.contains(action) { targets += dependencies[action] }
            starts.append(targets.count)
        }
        var parents: [Int] = []
        parents.reserveCapacity(ids.count)
        for action in ids.indices { parents.append((enclosing.indices.contains(action) ? enclosing[action] : nil) ?? -1) }
        self.init(ids: ids, dependencyStarts: starts, dependencyTargets: targets, parents: parents)
    }

    /// `dependencyStarts` holds `ids.count + 1` ascending offsets into `dependencyTargets`;
    /// `parents` one entry per id.
    init(ids: [String?], dependencyStarts: [Int], dependencyTargets: [Int], parents: [Int]) {
        self.ids = ids
        self.dependencyStarts = dependencyStarts
        self.dependencyTargets = dependencyTargets
        self.parents = parents
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

    /// What `action` waits for (empty for an index out of range).
    func dependencies(of action: Int) -> ArraySlice<Int> {
        guard action >= 0, action + 1 < dependencyStarts.count else { return [] }
        return dependencyTargets[dependencyStarts[action]..<dependencyStarts[action + 1]]
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
            for next in dependencies(of: node) where ids.indices.contains(next) {
                if !finished[next] {
                    finished[next] = true
                    found += 1
                }
                if !reached[next] {
                    reached[next] = true
                    queue.append(next)
                }
            }
            let control = node < parents.count ? parents[node] : -1
            if ids.indices.contains(control), !reached[control] {
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
