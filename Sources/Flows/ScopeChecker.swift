import Catalog
import Diagnostics

/// The checks that need the whole flow: action ids, `run_after` targets and cycles,
/// loop-variable shadowing, and the names visible at each expression (SPEC 3 and 4.3).
struct ScopeChecker {
    /// Root names of CEL expressions in flows; a loop variable may not hide them.
    static let rootNames: Set<String> = ["event", "trigger", "vars", "actions", "env", "secrets", "now", "flow"]

    private(set) var diagnostics: [Diagnostic] = []
    private let flow: Flow
    private let index: CatalogIndex

    /// Every action in pre-order, by ``FlowAction/index``.
    private var actions: [FlowAction] = []
    /// Where each action stands: its list and the control actions around it, by index (the
    /// walk places actions in index order, so this runs parallel to ``actions``).
    private var placements: [Placement] = []
    /// The first action with each id.
    private var byID: [String: Int] = [:]
    /// What each action waits for, by index (see ``computeDependencies(of:)``).
    private var dependencyTable: [[Int]] = []
    private var listCount = 0
    private var expressions: [ScopedExpression] = []
    private var graph: ActionGraph?

    private func placement(_ index: Int) -> Placement? {
        placements.indices.contains(index) ? placements[index] : nil
    }

    private struct Placement {
        /// Which list the action is in (lists are numbered as they are met).
        var list: Int
        /// Its position in that list.
        var position: Int
        /// Indices of the actions of the list the action is in, in order.
        var siblings: [Int]
        /// The enclosing control actions, innermost last.
        var enclosing: [Int]
        /// Loop variables bound around the action, outermost first.
        var loopVariables: [String]
    }

    init(flow: Flow, catalog: Catalog) {
        self.init(flow: flow, index: CatalogIndex.of(catalog))
    }

    init(flow: Flow, index: CatalogIndex) {
        self.flow = flow
        self.index = index
    }

    mutating func run() -> (diagnostics: [Diagnostic], expressions: [ScopedExpression], graph: ActionGraph?) {
        // Actions are large values: growing these arrays one append at a time copied them
        // over and over.
        let count = Self.actionCount(flow.actions)
        actions.reserveCapacity(count)
        placements.reserveCapacity(count)
        place(flow.actions, enclosing: [], loopVariables: [])
        checkIDs()
        dependencyTable = actions.indices.map { computeDependencies(of: $0) }
        checkRunAfter()
        checkCycles()
        collectExpressions()
        // Usually collected in document order already; sorting copies every (large) element.
        let isInOrder = zip(expressions, expressions.dropFirst()).allSatisfy {
            $0.site.span.start.offset <= $1.site.span.start.offset
        }
        if !isInOrder {
            expressions.sort { $0.site.span.start.offset < $1.site.span.start.offset }
        }
        return (diagnostics, expressions, graph)
    }

    // MARK: - Placement

    private static func actionCount(_ list: ActionList) -> Int {
        var count = list.actions.count
        for action in list.actions where !action.controlKeys.isEmpty {
            for nested in action.nestedLists { count += actionCount(nested) }
        }
        return count
    }

    private mutating func place(_ list: ActionList, enclosing: [Int], loopVariables: [String]) {
        let siblings = list.actions.map(\.index)
        let listNumber = listCount
        listCount += 1
        for (position, action) in list.actions.enumerated() {
            // Indices are given in pre-order per flow, the order of this walk.
            guard action.index == actions.count else { continue }
            actions.append(action)
            placements.append(Placement(
                list: listNumber, position: position, siblings: siblings, enclosing: enclosing, loopVariables: loopVariables))
            var inner = loopVariables
            for key in action.controlKeys {
                if case .name(let name) = key.value {
                    checkShadowing(name, loopVariables: loopVariables)
                    inner.append(name.value)
                }
            }
            inner += defaultBindings(of: action)
            let nestedLists = action.nestedLists
            if !nestedLists.isEmpty {
                let nestedEnclosing = enclosing + [action.index]
                for nested in nestedLists {
                    place(nested, enclosing: nestedEnclosing, loopVariables: inner)
                }
            }
        }
    }

    /// Names a control action binds without writing them (`foreach` binds `item`).
    private func defaultBindings(of action: FlowAction) -> [String] {
        guard case .control(let name) = action.kind, let control = index.controls[name], !control.defaultBindings.isEmpty else {
            return []
        }
        return control.defaultBindings.compactMap { binding in
            action.controlKey(binding.key) == nil ? binding.name : nil
        }
    }

    private mutating func checkShadowing(_ name: Located<String>, loopVariables: [String]) {
        if Self.rootNames.contains(name.value) {
            diagnostics.append(Diagnostic(
                .flowShadowedName, .error, "loop variable `\(name.value)` hides the built-in name `\(name.value)`", at: name.span,
                label: "choose another name")
                .with(note: "expressions could no longer read the flow's `\(name.value)`"))
        } else if loopVariables.contains(name.value) {
            diagnostics.append(Diagnostic(
                .flowShadowedName, .error, "loop variable `\(name.value)` hides the loop variable of an enclosing `foreach`", at: name.span,
                label: "choose another name"))
        }
    }

    // MARK: - Ids

    private mutating func checkIDs() {
        for action in actions {
            guard let id = action.id else { continue }
            if let first = byID[id.value] {
                let firstSpan = actions[first].id?.span ?? actions[first].span
                diagnostics.append(Diagnostic(
                    .flowDuplicateActionID, .error, "duplicate action id `\(id.value)`", at: id.span, label: "already used in this flow",
                    notes: [Note("first used here", at: firstSpan)]))
            } else {
                byID[id.value] = action.index
            }
        }
    }

    // MARK: - run_after

    /// Actions a `run_after` in `index` may name: siblings, and the actions written before
    /// each enclosing control action in that control's own list.
    private func runAfterScope(of index: Int) -> [Int] {
        guard let place = placement(index) else { return [] }
        var scope = place.siblings.filter { $0 != index }
        for control in place.enclosing {
            guard let outer = placement(control) else { continue }
            scope += outer.siblings.prefix { $0 != control }
        }
        return scope
    }

    /// Whether `target` is in ``runAfterScope(of:)`` of `index`, without building the list.
    private func isInRunAfterScope(_ target: Int, of index: Int) -> Bool {
        guard target != index, let place = placement(index), let targetPlace = placement(target) else { return false }
        if targetPlace.list == place.list { return true }
        return place.enclosing.contains { control in
            guard let controlPlace = placement(control) else { return false }
            return controlPlace.list == targetPlace.list && targetPlace.position < controlPlace.position
        }
    }

    private mutating func checkRunAfter() {
        for action in actions {
            guard let runAfter = action.runAfter else { continue }
            for entry in runAfter.entries {
                let target = entry.target
                if action.id?.value == target.value {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterSelf, .error, "action `\(target.value)` cannot run after itself", at: target.span,
                        label: "names the action it belongs to"))
                    continue
                }
                guard let targetIndex = byID[target.value] else {
                    let candidates = runAfterScope(of: action.index).compactMap { actions[$0].id?.value }
                    if let suggestion = boundedClosest(to: target.value, in: candidates) {
                        diagnostics.append(Diagnostic(
                            .flowUnknownRunAfterTarget, .error,
                            "`run_after` names unknown action `\(target.value)`; did you mean `\(suggestion)`?", at: target.span,
                            fixIts: [FixIt(span: target.span, replacement: suggestion)]))
                    } else {
                        diagnostics.append(
                            .error(.flowUnknownRunAfterTarget, "`run_after` names unknown action `\(target.value)`", at: target.span))
                    }
                    continue
                }
                if !isInRunAfterScope(targetIndex, of: action.index) {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterOutOfScope, .error, "`run_after` names action `\(target.value)`, which is not in scope here",
                        at: target.span,
                        label: outOfScopeReason(target: targetIndex, from: action.index),
                        notes: [Note("`\(target.value)` is defined here", at: actions[targetIndex].id?.span ?? actions[targetIndex].span)]))
                }
            }
        }
    }

    private func outOfScopeReason(target: Int, from index: Int) -> String {
        let targetEnclosing = placement(target)?.enclosing ?? []
        let ownEnclosing = placement(index)?.enclosing ?? []
        if ownEnclosing.contains(target) {
            return "it contains this action and finishes only after it"
        }
        if targetEnclosing.count > ownEnclosing.count || !targetEnclosing.allSatisfy(ownEnclosing.contains) {
            return "it is inside a nested action list"
        }
        return "it runs after the enclosing control action started"
    }

    /// What each action waits for: its `run_after` targets, else the previous sibling. A
    /// nested action also waits for what its control action waits for, and a control action
    /// finishes only after its nested actions.
    private func dependencies(of index: Int) -> [Int] {
        dependencyTable.indices.contains(index) ? dependencyTable[index] : []
    }

    private func computeDependencies(of index: Int) -> [Int] {
        guard let place = placement(index) else { return [] }
        var result: [Int] = []
        if let runAfter = actions[index].runAfter {
            // Targets out of scope are reported on their own; following them would also
            // report cycles through the enclosing control actions.
            result = runAfter.entries.compactMap { byID[$0.target.value] }.filter { isInRunAfterScope($0, of: index) }
        } else if place.position > 0, place.position - 1 < place.siblings.count {
            result = [place.siblings[place.position - 1]]
        }
        return result
    }

    private func edges(of index: Int) -> [Int] {
        var result = dependencies(of: index)
        if let control = placement(index)?.enclosing.last {
            result += dependencies(of: control)
        }
        for list in actions[index].nestedLists {
            result += list.actions.map(\.index)
        }
        return result
    }

    private mutating func checkCycles() {
        let components = StronglyConnected.components(count: actions.count) { edges(of: $0) }
        for component in components where component.count > 1 {
            let members = Set(component)
            // Report at the first action in the cycle that names another member in `run_after`.
            let ordered = component.sorted()
            guard let start = ordered.first(where: { index in
                actions[index].runAfter?.entries.contains { byID[$0.target.value].map(members.contains) == true } == true
            }) else { continue }
            let path = StronglyConnected.cycle(from: start, within: members) { edges(of: $0) }
            let names = (path + [start]).map { actions[$0].displayName }
            let runAfter = actions[start].runAfter
            let entry = runAfter?.entries.first { byID[$0.target.value].map(members.contains) == true }
            var diagnostic = Diagnostic(
                .flowRunAfterCycle, .error, "`run_after` cycle: " + names.joined(separator: " → "),
                at: entry?.target.span ?? runAfter?.keySpan ?? actions[start].span,
                label: "these actions wait for each other and can never run")
            for member in path.dropFirst() {
                let span = actions[member].id?.span ?? actions[member].span
                diagnostic = diagnostic.with(note: "`\(actions[member].displayName)` is part of the cycle", at: span)
            }
            diagnostics.append(diagnostic)
        }
    }

    // MARK: - Visibility and expressions

    private mutating func collectExpressions() {
        let graph = ActionGraph(
            ids: actions.map { $0.id?.value },
            dependencies: dependencyTable,
            enclosing: actions.indices.map { placement($0)?.enclosing.last })
        self.graph = graph
        let allVars = flow.vars.map(\.name)
        if let trigger = flow.trigger {
            for argument in trigger.arguments {
                add(argument.value.expressionSites, path: "trigger.\(argument.name)", actions: .none, vars: [], loops: [])
            }
        }
        for (offset, site) in flow.conditions.enumerated() {
            // Conditions decide whether a run starts; vars are computed once it has.
            add([site], path: "conditions[\(offset)]", actions: .none, vars: [], loops: [])
        }
        for (offset, variable) in flow.vars.enumerated() {
            let earlier = Array(allVars.prefix(offset))
            add(variable.value.expressionSites, path: "vars.\(variable.name)", actions: .none, vars: earlier, loops: [])
        }
        for action in actions where placement(action.index) != nil {
            let visibleIDs = ActionVisibility(graph: graph, action: action.index)
            let loops = placement(action.index)?.loopVariables ?? []
            let prefix = "actions.\(action.displayName)"
            if let condition = action.condition {
                add([condition], path: "\(prefix).if", actions: visibleIDs, vars: allVars, loops: loops)
            }
            for input in action.inputs {
                add(input.value.expressionSites, path: "\(prefix).with.\(input.name)", actions: visibleIDs, vars: allVars, loops: loops)
            }
            for key in action.controlKeys {
                switch key.value {
                case .expression(let site):
                    add([site], path: "\(prefix).\(key.name)", actions: visibleIDs, vars: allVars, loops: loops)
                case .value(let value):
                    add(value.expressionSites, path: "\(prefix).\(key.name)", actions: visibleIDs, vars: allVars, loops: loops)
                case .actions, .cases, .branches, .name:
                    break
                }
            }
        }
    }

    /// The path is built only for values that hold expressions, most hold none.
    private mutating func add(
        _ sites: [ExpressionSite], path: @autoclosure () -> String, actions visibleActions: ActionVisibility, vars: [String], loops: [String]
    ) {
        guard !sites.isEmpty else { return }
        let path = path()
        for site in sites {
            expressions.append(ScopedExpression(site: site, path: path, actions: visibleActions, visibleVars: vars, loopVariables: loops))
        }
    }
}

/// Tarjan's algorithm without recursion, so a long chain of actions cannot overflow the stack.
enum StronglyConnected {
    static func components(count: Int, edges: (Int) -> [Int]) -> [[Int]] {
        var indexOf = [Int?](repeating: nil, count: count)
        var lowLink = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var result: [[Int]] = []
        var nextIndex = 0
        for root in 0..<count where indexOf[root] == nil {
            var work: [(node: Int, successors: [Int], position: Int)] = []
            func open(_ node: Int) {
                indexOf[node] = nextIndex
                lowLink[node] = nextIndex
                nextIndex += 1
                stack.append(node)
                onStack[node] = true
                work.append((node, edges(node).filter { $0 >= 0 && $0 < count }, 0))
            }
            open(root)
            while var frame = work.popLast() {
                if frame.position < frame.successors.count {
                    let next = frame.successors[frame.position]
                    frame.position += 1
                    work.append(frame)
                    if let nextIndex = indexOf[next] {
                        if onStack[next] { lowLink[frame.node] = min(lowLink[frame.node], nextIndex) }
                    } else {
                        open(next)
                    }
                    continue
                }
                if let parent = work.last {
                    lowLink[parent.node] = min(lowLink[parent.node], lowLink[frame.node])
                }
                if lowLink[frame.node] == indexOf[frame.node] {
                    var component: [Int] = []
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component.append(member)
                        if member == frame.node { break }
                    }
                    result.append(component)
                }
            }
        }
        return result
    }

    /// A simple cycle through `start` inside one component, as the path from `start` (the
    /// closing step back to `start` not repeated). Breadth-first, so the cycle is a shortest one.
    static func cycle(from start: Int, within members: Set<Int>, edges: (Int) -> [Int]) -> [Int] {
        var previous: [Int: Int] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in edges(node) where members.contains(next) {
                if next == start {
                    var path = [node]
                    while let before = previous[path[0]] { path.insert(before, at: 0) }
                    return path
                }
                if previous[next] == nil, next != start {
                    previous[next] = node
                    queue.append(next)
                }
            }
        }
        return [start]
    }
}
