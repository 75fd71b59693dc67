/// Lays a compiled graph out as a ``Drawing``: one cluster per flow holding the trigger, the
/// conditions, the vars and the actions; each control action a cluster holding its node and
/// one cluster per nested scope.
struct DrawingBuilder {
    /// Scopes nested deeper than this are drawn as one placeholder node: the drawing stays
    /// bounded (and the recursion shallow) whatever a compiled file holds.
    static let maximumDepth = 48
    /// Flow titles hold file paths, which are worth a wider cluster.
    static let titleLimit = 120
    /// Lists of parameters and vars show this many entries, then `+N more`.
    static let listedEntries = 6

    private var edges: [DrawingEdge] = []
    /// The flow being drawn: each action's end by path and by id, the control boxes around
    /// each node, and the dependency edges, resolved once every action has a node, since an
    /// action may run after an action of an enclosing scope.
    private var ends: [String: DrawingEdge.End] = [:]
    private var enclosing: [String: [String]] = [:]
    private var openGroups: [String] = []
    private var dependencies: [GraphEdge] = []
    /// Scope entry edges, written after the flow's other edges so that each flow's edges
    /// read in order: start, dependencies, entries.
    private var entries: [DrawingEdge] = []

    static func build(_ graph: FlowGraph) -> Drawing {
        var builder = DrawingBuilder()
        var flows: [DrawingCluster] = []
        for (index, flow) in graph.flows.enumerated() {
            flows.append(builder.flow(flow, prefix: "f\(index)"))
        }
        return Drawing(flows: flows, edges: builder.edges)
    }

    private mutating func flow(_ flow: GraphFlow, prefix: String) -> DrawingCluster {
        ends = [:]
        enclosing = [:]
        dependencies = []
        entries = []
        var members: [DrawingMember] = []
        var last: DrawingEdge.End?
        func chain(_ node: DrawingNode) {
            members.append(.node(node))
            let end = DrawingEdge.End(node: node.id)
            if let last { edges.append(DrawingEdge(from: last, to: end, kind: .start)) }
            last = end
        }
        chain(DrawingNode(id: "\(prefix)_trigger", kind: .trigger, lines: Self.triggerLines(flow.trigger)))
        for (index, condition) in flow.conditions.enumerated() {
            chain(DrawingNode(id: "\(prefix)_c\(index)", kind: .condition, lines: [DrawingText.expression(condition)]))
        }
        if !flow.vars.isEmpty {
            let lines = ["vars"] + Self.listed(flow.vars.map { DrawingText.labelled($0.name, $0.type) })
            chain(DrawingNode(id: "\(prefix)_vars", kind: .variables, lines: lines))
        }
        var counter = 0
        let actions = scope(flow.actions, prefix: prefix, counter: &counter, depth: 0)
        members += actions.members
        if let last {
            for root in actions.roots { edges.append(DrawingEdge(from: last, to: root, kind: .start)) }
        }
        for dependency in dependencies { resolve(dependency) }
        edges += entries
        var subtitle = "\(flow.file) · \(flow.concurrency)"
        if !flow.enabled { subtitle += " · disabled" }
        return DrawingCluster(
            id: prefix, kind: flow.enabled ? .flow : .disabledFlow,
            title: [DrawingText.line(flow.name, limit: Self.titleLimit), DrawingText.line(subtitle, limit: Self.titleLimit)], members: members)
    }

    /// The members of one action list and the ends its entry edges point at: the actions
    /// that wait for no other action of the same list, which start when the list starts.
    private mutating func scope(
        _ scope: GraphScope, prefix: String, counter: inout Int, depth: Int
    ) -> (members: [DrawingMember], roots: [DrawingEdge.End]) {
        if scope.actions.isEmpty || depth > Self.maximumDepth {
            let text = scope.actions.isEmpty ? "(no actions)" : "(nested too deep to draw)"
            let node = DrawingNode(id: "\(prefix)_p\(counter)", kind: .placeholder, lines: [text])
            counter += 1
            enclosing[node.id] = openGroups
            return ([.node(node)], [DrawingEdge.End(node: node.id)])
        }
        var members: [DrawingMember] = []
        var local: [String: DrawingEdge.End] = [:]
        var order: [DrawingEdge.End] = []
        // Before the nested scopes, so the edges read outside-in.
        dependencies += scope.edges
        for action in scope.actions {
            let drawn = self.action(action, prefix: prefix, counter: &counter, depth: depth)
            members.append(drawn.member)
            order.append(drawn.end)
            for name in [action.path, action.id].compactMap({ $0 }) where local[name] == nil {
                local[name] = drawn.end
                if ends[name] == nil { ends[name] = drawn.end }
            }
        }
        let waiting = Set(scope.edges.compactMap { edge in local[edge.from] == nil ? nil : local[edge.to]?.node })
        let roots = order.filter { !waiting.contains($0.node) }
        return (members, roots.isEmpty ? Array(order.prefix(1)) : roots)
    }

    private mutating func action(
        _ action: GraphAction, prefix: String, counter: inout Int, depth: Int
    ) -> (member: DrawingMember, end: DrawingEdge.End) {
        let id = "\(prefix)_n\(counter)"
        counter += 1
        enclosing[id] = openGroups
        let kind: DrawingNode.Kind = action.type == "terminate" ? .terminate : action.isControl ? .control : .action
        let node = DrawingNode(id: id, kind: kind, lines: Self.actionLines(action))
        guard action.isControl, !action.scopes.isEmpty else {
            return (.node(node), DrawingEdge.End(node: id))
        }
        let group = "\(id)_g"
        openGroups.append(group)
        defer { openGroups.removeLast() }
        var members: [DrawingMember] = [.node(node)]
        for (index, nested) in action.scopes.enumerated() {
            let title = Self.scopeTitle(nested, owner: action)
            let inner = scope(nested, prefix: prefix, counter: &counter, depth: depth + 1)
            members.append(.cluster(DrawingCluster(id: "\(id)_s\(index)", kind: .scope, title: [title], members: inner.members)))
            for root in inner.roots {
                entries.append(DrawingEdge(from: DrawingEdge.End(node: id), to: root, kind: .entry, label: title))
            }
        }
        return (.cluster(DrawingCluster(id: group, kind: .control, title: [], members: members)), DrawingEdge.End(node: id, cluster: group))
    }

    /// Draws one dependency. A compiled file that names an action the flow lacks is drawn
    /// without that edge: validation, not drawing, is where such a file is refused.
    private mutating func resolve(_ dependency: GraphEdge) {
        guard var from = ends[dependency.from], var to = ends[dependency.to] else { return }
        // An edge can leave or enter a control action's box only if the other end is outside it.
        if let box = from.cluster, enclosing[to.node, default: []].contains(box) { from.cluster = nil }
        if let box = to.cluster, enclosing[from.node, default: []].contains(box) { to.cluster = nil }
        if from.cluster != nil, from.cluster == to.cluster { from.cluster = nil; to.cluster = nil }
        if dependency.implicit {
            edges.append(DrawingEdge(from: from, to: to, kind: .sequence))
        } else {
            let unhappy = dependency.on.contains { $0 != "succeeded" }
            let label = dependency.on.isEmpty ? "never" : dependency.on.joined(separator: " | ")
            edges.append(DrawingEdge(from: from, to: to, kind: .runAfter(unhappy: unhappy), label: DrawingText.line(label)))
        }
    }

    // MARK: - Labels

    static func triggerLines(_ trigger: GraphTrigger) -> [String] {
        var lines = [DrawingText.line(trigger.catalogName)]
        let events = trigger.eventTypes.joined(separator: ", ")
        lines.append(DrawingText.line("\(trigger.kind.rawValue) on \(events.isEmpty ? "no events" : events)"))
        var shown = Set<String>()
        if trigger.kind == .threshold {
            var crossing = trigger.value.map { $0.source } ?? "value"
            crossing += " > " + (trigger.threshold.map(DrawingText.number) ?? "?")
            if let direction = trigger.direction { crossing += " (\(direction))" }
            lines.append(DrawingText.line(crossing))
            if let key = trigger.key { lines.append(DrawingText.line("per " + key.source)) }
            shown = ["threshold", "direction"]
        }
        if let filter = trigger.filter { lines.append(DrawingText.labelled("filter", filter.source)) }
        let parameters = trigger.parameters.filter { !shown.contains($0.name) }
        lines += listed(parameters.map { DrawingText.labelled($0.name, DrawingText.value($0.value)) })
        return lines
    }

    static func actionLines(_ action: GraphAction) -> [String] {
        var lines = [DrawingText.line(action.id ?? action.path), DrawingText.line(action.type)]
        if let condition = action.condition { lines.append(DrawingText.labelled("if", condition.source)) }
        if action.isControl {
            // Control keys (`condition`, `on`, `items`, ...) are what the node decides on.
            lines += listed(action.inputs.map { input in
                if case .expression(let expression) = input.value { return DrawingText.labelled(input.name, expression.source) }
                return DrawingText.labelled(input.name, DrawingText.value(input.value))
            })
        }
        var limits: [String] = []
        if action.retry.attempts > 1 { limits.append("retry \(action.retry.attempts)× \(action.retry.backoff)") }
        if let timeout = action.timeoutMilliseconds { limits.append("timeout \(DrawingText.duration(milliseconds: timeout))") }
        if !limits.isEmpty { lines.append(DrawingText.line(limits.joined(separator: ", "))) }
        return lines
    }

    /// `then`, `else`, `default`, `do`, `case gold`, `branch 1`: the key of the scope under its owner.
    static func scopeTitle(_ scope: GraphScope, owner: GraphAction) -> String {
        let ownerPrefix = owner.path + "/"
        let key = scope.path.hasPrefix(ownerPrefix) ? String(scope.path.dropFirst(ownerPrefix.count)) : scope.path
        for (plural, singular) in [("cases/", "case"), ("branches/", "branch")] where key.hasPrefix(plural) {
            return DrawingText.line("\(singular) \(scope.label ?? String(key.dropFirst(plural.count)))")
        }
        return DrawingText.line(key)
    }

    static func listed(_ lines: [String]) -> [String] {
        guard lines.count > listedEntries else { return lines }
        return Array(lines.prefix(listedEntries - 1)) + ["+\(lines.count - listedEntries + 1) more"]
    }
}
