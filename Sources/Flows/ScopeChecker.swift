import Catalog
import Diagnostics

/// The checks that need the whole flow: action ids, `run_after` targets and cycles,
/// loop-variable shadowing, and the names visible at each expression (SPEC 3 and 4.3).
///
/// It runs once per flow on every lint, and most flows are a handful of actions with no
/// problem at all: so lookups scan short lists instead of hashing, nothing is collected
/// that is not kept, and the search for cycles runs only when a `run_after` points ahead.
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
    /// The first action with each id (see ``firstAction(withID:)``).
    private var byID = ActionIDs()
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
        // Most actions are top-level; counting the nested ones first cost more than the
        // few regrowths of these arrays, which move (not copy) the actions.
        let count = flow.actions.actions.count
        actions.reserveCapacity(count)
        placements.reserveCapacity(count)
        place(flow.actions, enclosing: [], loopVariables: [])
        checkIDs()
        dependencyTable.reserveCapacity(actions.count)
        for action in actions.indices { dependencyTable.append(computeDependencies(of: action)) }
        checkRunAfter()
        if hasForwardDependency() { checkCycles() }
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

    /// Calls `body` with each nested action list of an action with `controlKeys`, in the
    /// order written, without collecting them (``FlowAction/nestedLists`` builds an array
    /// per call). Takes the keys, not the action, which would be copied whole.
    private static func forEachNestedList(of controlKeys: [ControlKey], _ body: (ActionList) -> Void) {
        for key in controlKeys {
            switch key.value {
            case .actions(let list): body(list)
            case .cases(let cases): for switchCase in cases { body(switchCase.actions) }
            case .branches(let lists): for list in lists { body(list) }
            case .expression, .name, .value: break
            }
        }
    }

    private mutating func place(_ list: ActionList, enclosing: [Int], loopVariables: [String]) {
        let listNumber = listCount
        listCount += 1
        // Read through a buffer pointer: iterating or indexing the array copied each (large)
        // action whole just to read a field of it.
        list.actions.withUnsafeBufferPointer { listActions in
            var siblings: [Int] = []
            siblings.reserveCapacity(listActions.count)
            for position in listActions.indices { siblings.append(listActions[position].index) }
            for position in listActions.indices {
                // Indices are given in pre-order per flow, the order of this walk.
                guard listActions[position].index == actions.count else { continue }
                actions.append(listActions[position])
                placements.append(Placement(
                    list: listNumber, position: position, siblings: siblings, enclosing: enclosing, loopVariables: loopVariables))
                let controlKeys = listActions[position].controlKeys
                guard !controlKeys.isEmpty else { continue }
                var inner = loopVariables
                for key in controlKeys {
                    if case .name(let name) = key.value {
                        checkShadowing(name, loopVariables: loopVariables)
                        inner.append(name.value)
                    }
                }
                appendDefaultBindings(of: listActions[position].kind, controlKeys: controlKeys, to: &inner)
                let nestedEnclosing = enclosing + [listActions[position].index]
                Self.forEachNestedList(of: controlKeys) { nested in
                    place(nested, enclosing: nestedEnclosing, loopVariables: inner)
                }
            }
        }
    }

    /// Names a control action binds without writing them (`foreach` binds `item`).
    private func appendDefaultBindings(of kind: ActionKind, controlKeys: [ControlKey], to names: inout [String]) {
        guard case .control(let name) = kind, case .control(let control)? = index.actionType(named: name) else { return }
        for binding in control.defaultBindings where !controlKeys.contains(where: { $0.name == binding.key }) {
            names.append(binding.name)
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
        var ids: [String?] = []
        ids.reserveCapacity(actions.count)
        // A local array: reading fields of `self.actions` copied each action whole.
        let actions = self.actions
        for index in actions.indices { ids.append(actions[index].idValue) }
        byID = ActionIDs(ids)
        for index in actions.indices {
            guard let id = actions[index].id, let first = byID.first(id.value), first != actions[index].index else { continue }
            let firstSpan = actions[first].idSpan ?? actions[first].span
            diagnostics.append(Diagnostic(
                .flowDuplicateActionID, .error, "duplicate action id `\(id.value)`", at: id.span, label: "already used in this flow",
                notes: [Note("first used here", at: firstSpan)]))
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
        let actions = self.actions
        for index in actions.indices {
            guard let runAfter = actions[index].runAfter else { continue }
            let ownID = actions[index].idValue
            let ownIndex = actions[index].index
            for entry in runAfter.entries {
                let target = entry.target
                if ownID == target.value {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterSelf, .error, "action `\(target.value)` cannot run after itself", at: target.span,
                        label: "names the action it belongs to"))
                    continue
                }
                guard let targetIndex = byID.first(target.value) else {
                    let candidates = runAfterScope(of: ownIndex).compactMap { actions[$0].idValue }
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
                if !isInRunAfterScope(targetIndex, of: ownIndex) {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterOutOfScope, .error, "`run_after` names action `\(target.value)`, which is not in scope here",
                        at: target.span,
                        label: outOfScopeReason(target: targetIndex, from: ownIndex),
                        notes: [Note("`\(target.value)` is defined here", at: actions[targetIndex].idSpan ?? actions[targetIndex].span)]))
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
        guard placements.indices.contains(index) else { return [] }
        if let runAfter = actions[index].runAfter {
            // Targets out of scope are reported on their own; following them would also
            // report cycles through the enclosing control actions.
            var result: [Int] = []
            result.reserveCapacity(runAfter.entries.count)
            for entry in runAfter.entries {
                if let target = byID.first(entry.target.value), isInRunAfterScope(target, of: index) { result.append(target) }
            }
            return result
        }
        let position = placements[index].position
        if position > 0, position - 1 < placements[index].siblings.count {
            return [placements[index].siblings[position - 1]]
        }
        return []
    }

    /// Whether some action waits for one written after it. Without such a `run_after`
    /// every edge of ``edges(of:)`` leads to an action that finishes earlier in a post-order
    /// walk (an earlier sibling, one before an enclosing control, or a nested action), so
    /// there can be no cycle and the search is skipped.
    private func hasForwardDependency() -> Bool {
        for (action, dependencies) in dependencyTable.enumerated() where dependencies.contains(where: { $0 > action }) {
            return true
        }
        return false
    }

    private func edges(of index: Int) -> [Int] {
        var result = dependencies(of: index)
        if let control = placement(index)?.enclosing.last {
            result += dependencies(of: control)
        }
        Self.forEachNestedList(of: actions[index].controlKeys) { list in
            list.actions.withUnsafeBufferPointer { nested in
                for position in nested.indices { result.append(nested[position].index) }
            }
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
                actions[index].runAfter?.entries.contains { byID.first($0.target.value).map(members.contains) == true } == true
            }) else { continue }
            let path = StronglyConnected.cycle(from: start, within: members) { edges(of: $0) }
            let names = (path + [start]).map { actions[$0].displayName }
            let runAfter = actions[start].runAfter
            let entry = runAfter?.entries.first { byID.first($0.target.value).map(members.contains) == true }
            var diagnostic = Diagnostic(
                .flowRunAfterCycle, .error, "`run_after` cycle: " + names.joined(separator: " → "),
                at: entry?.target.span ?? runAfter?.keySpan ?? actions[start].span,
                label: "these actions wait for each other and can never run")
            for member in path.dropFirst() {
                let span = actions[member].idSpan ?? actions[member].span
                diagnostic = diagnostic.with(note: "`\(actions[member].displayName)` is part of the cycle", at: span)
            }
            diagnostics.append(diagnostic)
        }
    }

    // MARK: - Visibility and expressions

    private mutating func collectExpressions() {
        var enclosing: [Int?] = []
        enclosing.reserveCapacity(actions.count)
        for action in actions.indices {
            enclosing.append(placements.indices.contains(action) ? placements[action].enclosing.last : nil)
        }
        let graph = ActionGraph(ids: byID.ids, dependencies: dependencyTable, enclosing: enclosing)
        self.graph = graph
        // Room for about two expressions per action up front: growing the list from empty
        // reallocated it two or three times per flow (measured).
        expressions.reserveCapacity(flow.conditions.count + flow.vars.count + (flow.trigger?.arguments.count ?? 0) + 2 * actions.count)
        var allVars: [String] = []
        allVars.reserveCapacity(flow.vars.count)
        for variable in flow.vars { allVars.append(variable.name) }
        // Elements are read by index throughout: `for x in array` copied each one whole.
        if let arguments = flow.trigger?.arguments {
            for position in arguments.indices {
                let path = ExpressionPath.member("trigger", arguments[position].name)
                add(arguments[position].value, path: path, actions: .none, vars: [], loops: [])
            }
        }
        for (offset, site) in flow.conditions.enumerated() {
            // Conditions decide whether a run starts; vars are computed once it has.
            add(site, path: .text("conditions[\(offset)]"), actions: .none, vars: [], loops: [])
        }
        let vars = flow.vars
        for offset in vars.indices {
            let earlier = Array(allVars.prefix(offset))
            add(vars[offset].value, path: .member("vars", vars[offset].name), actions: .none, vars: earlier, loops: [])
        }
        let actions = self.actions
        for index in actions.indices {
            let actionIndex = actions[index].index
            guard placements.indices.contains(actionIndex) else { continue }
            let visibleIDs = ActionVisibility(graph: graph, action: actionIndex)
            let loops = placements[actionIndex].loopVariables
            let name = ExpressionPath.ActionName(id: actions[index].idValue, span: actions[index].span)
            if let condition = actions[index].condition {
                add(condition, path: .action(name, "if", nil), actions: visibleIDs, vars: allVars, loops: loops)
            }
            let inputs = actions[index].inputs
            for position in inputs.indices {
                let path = ExpressionPath.action(name, "with", inputs[position].name)
                add(inputs[position].value, path: path, actions: visibleIDs, vars: allVars, loops: loops)
            }
            let controlKeys = actions[index].controlKeys
            for position in controlKeys.indices {
                switch controlKeys[position].value {
                case .expression(let site):
                    add(site, path: .action(name, controlKeys[position].name, nil), actions: visibleIDs, vars: allVars, loops: loops)
                case .value(let value):
                    add(value, path: .action(name, controlKeys[position].name, nil), actions: visibleIDs, vars: allVars, loops: loops)
                case .actions, .cases, .branches, .name:
                    break
                }
            }
        }
    }

    private mutating func add(
        _ site: ExpressionSite, path: ExpressionPath, actions visibleActions: ActionVisibility, vars: [String], loops: [String]
    ) {
        expressions.append(ScopedExpression(site: site, path: path, actions: visibleActions, visibleVars: vars, loopVariables: loops))
    }

    /// Every expression site inside `value`, in document order (as ``FlowValue/expressionSites``
    /// lists them, without building the lists: most values hold none).
    private mutating func add(
        _ value: FlowValue, path: ExpressionPath, actions visibleActions: ActionVisibility, vars: [String], loops: [String]
    ) {
        switch value {
        case .null, .literal:
            break
        case .expression(let site):
            add(site, path: path, actions: visibleActions, vars: vars, loops: loops)
        case .list(let items, _):
            for item in items { add(item, path: path, actions: visibleActions, vars: vars, loops: loops) }
        case .map(let entries, _):
            for entry in entries { add(entry.value, path: path, actions: visibleActions, vars: vars, loops: loops) }
        }
    }
}

/// The first action with each id. Most flows have a few actions, whose ids are compared
/// faster than hashed; only a large flow gets a dictionary.
private struct ActionIDs {
    private static let hashedFrom = 16
    /// Ids by ``FlowAction/index``.
    let ids: [String?]
    private let byID: [String: Int]?

    init(_ ids: [String?] = []) {
        self.ids = ids
        if ids.count >= Self.hashedFrom {
            var byID: [String: Int] = [:]
            for (index, id) in ids.enumerated() {
                if let id, byID[id] == nil { byID[id] = index }
            }
            self.byID = byID
        } else {
            byID = nil
        }
    }

    func first(_ id: String) -> Int? {
        if let byID { return byID[id] }
        for (index, candidate) in ids.enumerated() {
            if let candidate, sameText(candidate, id) { return index }
        }
        return nil
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
