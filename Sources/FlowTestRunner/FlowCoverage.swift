import Diagnostics
import Graph

/// What the tests exercised: flows that ran, actions that ran (not skipped), branches
/// (non-empty nested scopes: then/else, switch cases, foreach bodies) entered, and
/// explicit `run_after` edges taken.
public struct FlowCoverage: Sendable {
    public struct Figure: Sendable, Equatable {
        public var covered: Int
        public var total: Int
        public var percent: Double { total == 0 ? 100 : Double(covered) * 100 / Double(total) }
    }

    struct Branch: Hashable {
        var flow: String
        var name: String
    }

    struct Edge: Hashable {
        var flow: String
        var from: String
        var to: String
        var on: [String]
    }

    private var flowNames: [String] = []
    private var actions: Set<String> = []
    private var pathsByFlow: [String: Set<String>] = [:]
    private var branches: [Branch: Set<String>] = [:]
    private var edges: Set<Edge> = []
    private var ranFlows: Set<String> = []
    private var ranActions: Set<String> = []
    private var takenBranches: Set<Branch> = []
    private var takenEdges: Set<Edge> = []

    public init(flows: [GraphFlow]) {
        for flow in flows {
            flowNames.append(flow.name)
            pathsByFlow[flow.name] = ExpectedRunCheck.paths(flow.actions)
            collect(flow.actions, flow: flow.name)
        }
    }

    private mutating func collect(_ scope: GraphScope, flow: String) {
        for edge in scope.edges where !edge.implicit {
            edges.insert(Edge(flow: flow, from: edge.from, to: edge.to, on: edge.on))
        }
        for action in scope.actions {
            actions.insert("\(flow)/\(action.path)")
            for nested in action.scopes {
                collect(nested, flow: flow)
                let paths = Set(nested.actions.map(\.path))
                if !paths.isEmpty { branches[Branch(flow: flow, name: nested.path), default: []].formUnion(paths) }
            }
        }
    }

    /// Adds what these run records show.
    mutating func record(_ records: [JSONValue]) {
        for record in records {
            guard let flow = TestJSON.string(TestJSON.field(record, "flow")) else { continue }
            ranFlows.insert(flow)
            var statuses: [String: String] = [:]
            if case .array(let items)? = TestJSON.field(record, "actions") {
                for item in items {
                    if let path = TestJSON.string(TestJSON.field(item, "path")), let status = TestJSON.string(TestJSON.field(item, "status")) {
                        let action = actionPath(path, flow: flow)
                        // Any iteration that ran counts; keep a run status over `skipped`.
                        if statuses[action] == nil || statuses[action] == "skipped" { statuses[action] = status }
                    }
                }
            }
            let ran = Set(statuses.filter { $0.value != "skipped" }.keys)
            for path in ran { ranActions.insert("\(flow)/\(path)") }
            for (branch, paths) in branches where branch.flow == flow && !paths.isDisjoint(with: ran) {
                takenBranches.insert(branch)
            }
            for edge in edges where edge.flow == flow && ran.contains(edge.to) {
                if let from = statuses[edge.from], edge.on.contains(from) { takenEdges.insert(edge) }
            }
        }
    }

    /// Records name an action inside `foreach` by its path plus `/<index>` per loop level.
    private func actionPath(_ recorded: String, flow: String) -> String {
        ExpectedRunCheck.withoutIterations(recorded, known: pathsByFlow[flow] ?? [])
    }

    public mutating func merge(_ other: FlowCoverage) {
        flowNames += other.flowNames.filter { !flowNames.contains($0) }
        actions.formUnion(other.actions)
        pathsByFlow.merge(other.pathsByFlow) { $0.union($1) }
        branches.merge(other.branches) { $0.union($1) }
        edges.formUnion(other.edges)
        ranFlows.formUnion(other.ranFlows)
        ranActions.formUnion(other.ranActions)
        takenBranches.formUnion(other.takenBranches)
        takenEdges.formUnion(other.takenEdges)
    }

    public var flowFigure: Figure { Figure(covered: Set(flowNames).intersection(ranFlows).count, total: Set(flowNames).count) }
    public var actionFigure: Figure { Figure(covered: actions.intersection(ranActions).count, total: actions.count) }
    /// Nested scopes and explicit `run_after` edges together.
    public var branchFigure: Figure {
        Figure(covered: takenBranches.intersection(branches.keys).count + takenEdges.intersection(edges).count, total: branches.count + edges.count)
    }
    /// Flows, actions and branches counted together: what `--min-coverage` compares.
    public var total: Figure {
        let parts = [flowFigure, actionFigure, branchFigure]
        return Figure(covered: parts.map(\.covered).reduce(0, +), total: parts.map(\.total).reduce(0, +))
    }
    /// Actions no test ran, as `flow/path`, sorted.
    public var missedActions: [String] { actions.subtracting(ranActions).sorted() }

    /// Flows no test ran.
    public var missedFlows: [String] { Set(flowNames).subtracting(ranFlows).sorted() }
    /// Branches never entered (`flow/scope path`) and `run_after` edges never taken
    /// (`flow: from -> to on [statuses]`), sorted.
    public var missedBranches: [String] {
        let scopes = Set(branches.keys).subtracting(takenBranches).map { "\($0.flow)/\($0.name)" }
        let runAfter = edges.subtracting(takenEdges).map { "\($0.flow): run_after \($0.from) -> \($0.to) on [\($0.on.joined(separator: ", "))]" }
        return (scopes + runAfter).sorted()
    }

    /// `coverage: flows 100.0% (7/7), actions 95.0% (19/20), branches 80.0% (4/5)`
    public var summary: String {
        func text(_ figure: Figure) -> String { String(format: "%.1f%% (%d/%d)", figure.percent, figure.covered, figure.total) }
        return "coverage: flows \(text(flowFigure)), actions \(text(actionFigure)), branches \(text(branchFigure))"
    }
}
