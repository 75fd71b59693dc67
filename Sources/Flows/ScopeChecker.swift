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
    // The parts of the flow that the checks read, not the flow: a copy of a `Flow` goes
    // through its value witness, retaining and later releasing every field (about 900
    // instructions a flow in callgrind runs of the lint benchmark).
    private let actionList: ActionList
    private let conditions: [ExpressionSite]
    private let vars: [FlowVariable]
    private let triggerArguments: [FlowArgument]?
    private let index: CatalogIndex
    /// Whether ``run()`` lists the flow's expressions; lint reads only diagnostics and the graph.
    private let collectsExpressions: Bool

    /// What the checks need of every action, by ``FlowAction/index`` (the walk places
    /// actions in index order). Actions are not copied: a copy of an action retains a dozen
    /// references, and the copies and their teardown were about a sixth of this checker's
    /// cost (callgrind, lint benchmark).
    private var places: [Place] = []
    /// Each action's id, by index.
    private var ids: [String?] = []
    /// The action indices of every list, flat; a list's are ``Place/listStart`` on.
    private var members: [Int] = []
    /// The control action directly around each action, by index; -1 at the top level. Kept
    /// apart from ``places`` so that the graph takes it over as it is.
    private var parents: [Int] = []
    /// The first action with each id.
    private var byID = ActionIDs()
    /// What each action waits for, flat (see ``ActionGraph``): targets of action `a` are
    /// `dependencyTargets[dependencyStarts[a]..<dependencyStarts[a + 1]]`.
    private var dependencyStarts: [Int] = []
    private var dependencyTargets: [Int] = []
    private var expressions: [ScopedExpression] = []
    private var graph: ActionGraph?

    /// Where an action stands, and its `run_after`.
    private struct Place {
        /// Where the action's list starts in ``members``: what identifies the list (only
        /// empty lists share a start, and they hold no action).
        var listStart: Int
        var listCount: Int
        /// Its position in that list.
        var position: Int
        /// Loop variables bound around the action, outermost first.
        var loopVariables: [String]
        var runAfter: RunAfter?
    }

    init(flow: Flow, catalog: Catalog) {
        self.init(flow: flow, index: CatalogIndex.of(catalog))
    }

    /// `collectsExpressions: false` leaves the expressions of ``run()`` empty: for `flowc
    /// lint`, which types flows from the model and never reads ``Flow/expressions``.
    ///
    /// The flow is borrowed: an initializer's parameters are otherwise passed owned, which
    /// made the caller copy the whole flow and this initializer destroy the copy (about 1,200
    /// instructions a flow in callgrind runs of the lint benchmark).
    init(flow: borrowing Flow, index: CatalogIndex, collectsExpressions: Bool = true) {
        actionList = flow.actions
        // Only the expressions read the rest.
        conditions = collectsExpressions ? flow.conditions : []
        vars = collectsExpressions ? flow.vars : []
        triggerArguments = collectsExpressions ? flow.trigger?.arguments : nil
        self.index = index
        self.collectsExpressions = collectsExpressions
    }

    mutating func run() -> (diagnostics: [Diagnostic], expressions: [ScopedExpression], graph: ActionGraph?) {
        // Most actions are top-level; counting the nested ones first cost more than the
        // few regrowths of these arrays.
        let count = actionList.actions.count
        places.reserveCapacity(count)
        ids.reserveCapacity(count)
        parents.reserveCapacity(count)
        members.reserveCapacity(count)
        place(actionList, parent: -1, loopVariables: [])
        checkIDs()
        computeDependencies()
        checkRunAfter()
        if hasForwardDependency() { checkCycles() }
        makeGraph()
        if collectsExpressions { collectExpressions() }
        return (diagnostics, expressions, graph)
    }

    // MARK: - Placement

    /// Calls `body` with each nested action list of an action with `controlKeys`, in the
    /// order written, without collecting them (``FlowAction/nestedLists`` builds an array
    /// per call). Takes the keys, not the action, which would be copied whole.
    private static func forEachNestedList(of controlKeys: [ControlKey], _ body: (ActionList) -> Void) {
        // By index in the buffer: `for key in controlKeys` copied each key whole (measured).
        controlKeys.withUnsafeBufferPointer { keys in
            for position in keys.indices {
                switch keys[position].value {
                case .actions(let list): body(list)
                case .cases(let cases): for switchCase in cases { body(switchCase.actions) }
                case .branches(let lists): for list in lists { body(list) }
                case .expression, .name, .value: break
                }
            }
        }
    }

    private mutating func place(_ list: ActionList, parent: Int, loopVariables: [String]) {
        // Read through a buffer pointer: iterating or indexing the array copied each (large)
        // action whole just to read a field of it.
        list.actions.withUnsafeBufferPointer { listActions in
            let listStart = members.count
            for position in listActions.indices { members.append(listActions[position].index) }
            for position in listActions.indices {
                // Indices are given in pre-order per flow, the order of this walk.
                let actionIndex = listActions[position].index
                guard actionIndex == places.count else { continue }
                ids.append(listActions[position].idValue)
                parents.append(parent)
                places.append(Place(
                    listStart: listStart, listCount: listActions.count, position: position, loopVariables: loopVariables,
                    runAfter: listActions[position].runAfter))
                let controlKeys = listActions[position].controlKeys
                guard !controlKeys.isEmpty else { continue }
                var inner = loopVariables
                controlKeys.withUnsafeBufferPointer { keys in
                    for key in keys.indices {
                        if case .name(let name) = keys[key].value {
                            checkShadowing(name, loopVariables: loopVariables)
                            inner.append(name.value)
                        }
                    }
                }
                appendDefaultBindings(of: listActions[position].kind, controlKeys: controlKeys, to: &inner)
                Self.forEachNestedList(of: controlKeys) { nested in
                    place(nested, parent: actionIndex, loopVariables: inner)
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

    private func placeOf(_ index: Int) -> Place? {
        places.indices.contains(index) ? places[index] : nil
    }

    private func siblings(of place: Place) -> ArraySlice<Int> {
        members[place.listStart..<(place.listStart + place.listCount)]
    }

    private func parent(of index: Int) -> Int {
        parents.indices.contains(index) ? parents[index] : -1
    }

    /// The enclosing control actions of `index`, outermost first.
    private func enclosing(_ index: Int) -> [Int] {
        var chain: [Int] = []
        // Parents come before their nested actions in index order, so the chain ends.
        var control = parent(of: index)
        while control >= 0, control < places.count {
            chain.append(control)
            control = parent(of: control)
        }
        return chain.reversed()
    }

    /// Calls `body` with the action of `index` in place, found by a walk of the flow: only
    /// diagnostics need the rest of an action (spans, names), and they are rare.
    private func withAction<Result>(_ index: Int, _ body: (FlowAction) -> Result) -> Result? {
        func find(in list: ActionList) -> Result? {
            list.actions.withUnsafeBufferPointer { listActions in
                for position in listActions.indices {
                    if listActions[position].index == index { return body(listActions[position]) }
                    var found: Result?
                    Self.forEachNestedList(of: listActions[position].controlKeys) { nested in
                        if found == nil { found = find(in: nested) }
                    }
                    if let found { return found }
                }
                return nil
            }
        }
        return find(in: actionList)
    }

    private func idSpanOrSpan(of index: Int) -> SourceSpan? {
        withAction(index) { $0.idSpan ?? $0.span }
    }

    private func displayName(of index: Int) -> String {
        withAction(index) { $0.displayName } ?? ""
    }

    // MARK: - Ids

    private mutating func checkIDs() {
        byID = ActionIDs(ids)
        for index in ids.indices {
            guard let id = ids[index], let first = byID.first(id), first != index else { continue }
            guard let idSpan = withAction(index, { $0.idSpan }) ?? nil, let firstSpan = idSpanOrSpan(of: first) else { continue }
            diagnostics.append(Diagnostic(
                .flowDuplicateActionID, .error, "duplicate action id `\(id)`", at: idSpan, label: "already used in this flow",
                notes: [Note("first used here", at: firstSpan)]))
        }
    }

    // MARK: - run_after

    /// Actions a `run_after` in `index` may name: siblings, and the actions written before
    /// each enclosing control action in that control's own list.
    private func runAfterScope(of index: Int) -> [Int] {
        guard let place = placeOf(index) else { return [] }
        var scope = siblings(of: place).filter { $0 != index }
        for control in enclosing(index) {
            guard let outer = placeOf(control) else { continue }
            scope += siblings(of: outer).prefix { $0 != control }
        }
        return scope
    }

    /// Whether `target` is in ``runAfterScope(of:)`` of `index`, without building the list.
    private func isInRunAfterScope(_ target: Int, of index: Int) -> Bool {
        guard target != index, let place = placeOf(index), let targetPlace = placeOf(target) else { return false }
        if targetPlace.listStart == place.listStart { return true }
        var control = parent(of: index)
        while control >= 0, control < places.count {
            let controlPlace = places[control]
            if controlPlace.listStart == targetPlace.listStart && targetPlace.position < controlPlace.position { return true }
            control = parent(of: control)
        }
        return false
    }

    private mutating func checkRunAfter() {
        for ownIndex in places.indices {
            guard let runAfter = places[ownIndex].runAfter else { continue }
            let ownID = ids[ownIndex]
            for entry in runAfter.entries {
                let target = entry.target
                if ownID == target.value {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterSelf, .error, "action `\(target.value)` cannot run after itself", at: target.span,
                        label: "names the action it belongs to"))
                    continue
                }
                guard let targetIndex = byID.first(target.value) else {
                    let candidates = runAfterScope(of: ownIndex).compactMap { ids[$0] }
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
                if !isInRunAfterScope(targetIndex, of: ownIndex), let definedAt = idSpanOrSpan(of: targetIndex) {
                    diagnostics.append(Diagnostic(
                        .flowRunAfterOutOfScope, .error, "`run_after` names action `\(target.value)`, which is not in scope here",
                        at: target.span,
                        label: outOfScopeReason(target: targetIndex, from: ownIndex),
                        notes: [Note("`\(target.value)` is defined here", at: definedAt)]))
                }
            }
        }
    }

    private func outOfScopeReason(target: Int, from index: Int) -> String {
        let targetEnclosing = enclosing(target)
        let ownEnclosing = enclosing(index)
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
    private func dependencies(of index: Int) -> ArraySlice<Int> {
        guard index >= 0, index + 1 < dependencyStarts.count else { return [] }
        return dependencyTargets[dependencyStarts[index]..<dependencyStarts[index + 1]]
    }

    private mutating func computeDependencies() {
        dependencyStarts.reserveCapacity(places.count + 1)
        dependencyTargets.reserveCapacity(places.count)
        dependencyStarts.append(0)
        for index in places.indices {
            if let runAfter = places[index].runAfter {
                // Targets out of scope are reported on their own; following them would also
                // report cycles through the enclosing control actions.
                for entry in runAfter.entries {
                    if let target = byID.first(entry.target.value), isInRunAfterScope(target, of: index) { dependencyTargets.append(target) }
                }
            } else if places[index].position > 0 {
                dependencyTargets.append(members[places[index].listStart + places[index].position - 1])
            }
            dependencyStarts.append(dependencyTargets.count)
        }
    }

    /// Whether some action waits for one written after it. Without such a `run_after`
    /// every edge of ``edges(of:nested:)`` leads to an action that finishes earlier in a
    /// post-order walk (an earlier sibling, one before an enclosing control, or a nested
    /// action), so there can be no cycle and the search is skipped.
    private func hasForwardDependency() -> Bool {
        for action in places.indices where dependencies(of: action).contains(where: { $0 > action }) {
            return true
        }
        return false
    }

    /// The indices of the actions of each action's nested lists, by index.
    private func nestedActions() -> [[Int]] {
        var nested = [[Int]?](repeating: nil, count: places.count)
        func visit(_ list: ActionList) {
            list.actions.withUnsafeBufferPointer { listActions in
                for position in listActions.indices {
                    let action = listActions[position].index
                    let controlKeys = listActions[position].controlKeys
                    if nested.indices.contains(action), nested[action] == nil {
                        var inner: [Int] = []
                        Self.forEachNestedList(of: controlKeys) { list in
                            list.actions.withUnsafeBufferPointer { actions in
                                for position in actions.indices { inner.append(actions[position].index) }
                            }
                        }
                        nested[action] = inner
                    }
                    Self.forEachNestedList(of: controlKeys) { visit($0) }
                }
            }
        }
        visit(actionList)
        return nested.map { $0 ?? [] }
    }

    private func edges(of index: Int, nested: [[Int]]) -> [Int] {
        var result = Array(dependencies(of: index))
        let control = parent(of: index)
        if control >= 0 {
            result += dependencies(of: control)
        }
        if nested.indices.contains(index) { result += nested[index] }
        return result
    }

    private mutating func checkCycles() {
        let nested = nestedActions()
        let components = StronglyConnected.components(count: places.count) { edges(of: $0, nested: nested) }
        for component in components where component.count > 1 {
            let members = Set(component)
            // Report at the first action in the cycle that names another member in `run_after`.
            let ordered = component.sorted()
            guard let start = ordered.first(where: { index in
                places[index].runAfter?.entries.contains { byID.first($0.target.value).map(members.contains) == true } == true
            }) else { continue }
            let path = StronglyConnected.cycle(from: start, within: members) { edges(of: $0, nested: nested) }
            let names = (path + [start]).map { displayName(of: $0) }
            let runAfter = places[start].runAfter
            let entry = runAfter?.entries.first { byID.first($0.target.value).map(members.contains) == true }
            guard let at = entry?.target.span ?? runAfter?.keySpan ?? withAction(start, { $0.span }) else { continue }
            var diagnostic = Diagnostic(
                .flowRunAfterCycle, .error, "`run_after` cycle: " + names.joined(separator: " → "),
                at: at, label: "these actions wait for each other and can never run")
            for member in path.dropFirst() {
                guard let span = idSpanOrSpan(of: member) else { continue }
                diagnostic = diagnostic.with(note: "`\(displayName(of: member))` is part of the cycle", at: span)
            }
            diagnostics.append(diagnostic)
        }
    }

    // MARK: - Visibility and expressions

    private mutating func makeGraph() {
        graph = ActionGraph(ids: ids, dependencyStarts: dependencyStarts, dependencyTargets: dependencyTargets, parents: parents)
    }

    private mutating func collectExpressions() {
        guard let graph else { return }
        // Room for about two expressions per action up front: growing the list from empty
        // reallocated it two or three times per flow (measured).
        expressions.reserveCapacity(conditions.count + vars.count + (triggerArguments?.count ?? 0) + 2 * places.count)
        var allVars: [String] = []
        allVars.reserveCapacity(vars.count)
        for variable in vars { allVars.append(variable.name) }
        // Elements are read by index throughout: `for x in array` copied each one whole.
        if let arguments = triggerArguments {
            for position in arguments.indices {
                let path = ExpressionPath.member("trigger", arguments[position].name)
                add(arguments[position].value, path: path, actions: .none, vars: [], loops: [])
            }
        }
        for (offset, site) in conditions.enumerated() {
            // Conditions decide whether a run starts; vars are computed once it has.
            add(site, path: .text("conditions[\(offset)]"), actions: .none, vars: [], loops: [])
        }
        let vars = self.vars
        for offset in vars.indices {
            let earlier = Array(allVars.prefix(offset))
            add(vars[offset].value, path: .member("vars", vars[offset].name), actions: .none, vars: earlier, loops: [])
        }
        var next = 0
        collectExpressions(in: actionList, graph: graph, vars: allVars, next: &next)
        // Usually collected in document order already; sorting copies every (large) element.
        let isInOrder = expressions.withUnsafeBufferPointer { collected in
            collected.indices.dropFirst().allSatisfy { collected[$0 - 1].site.span.start.offset <= collected[$0].site.span.start.offset }
        }
        if !isInOrder {
            expressions.sort { $0.site.span.start.offset < $1.site.span.start.offset }
        }
    }

    /// The expressions of the actions of `list` and their nested lists, in index order (the
    /// actions that ``place(_:parent:loopVariables:)`` placed, `next` counting them).
    private mutating func collectExpressions(in list: ActionList, graph: ActionGraph, vars allVars: [String], next: inout Int) {
        list.actions.withUnsafeBufferPointer { listActions in
            for position in listActions.indices {
                let actionIndex = listActions[position].index
                guard actionIndex == next, places.indices.contains(actionIndex) else { continue }
                next += 1
                let visibleIDs = ActionVisibility(graph: graph, action: actionIndex)
                let loops = places[actionIndex].loopVariables
                let name = ExpressionPath.ActionName(id: listActions[position].idValue, span: listActions[position].span)
                if let condition = listActions[position].condition {
                    add(condition, path: .action(name, "if", nil), actions: visibleIDs, vars: allVars, loops: loops)
                }
                let inputs = listActions[position].inputs
                for position in inputs.indices {
                    let path = ExpressionPath.action(name, "with", inputs[position].name)
                    add(inputs[position].value, path: path, actions: visibleIDs, vars: allVars, loops: loops)
                }
                let controlKeys = listActions[position].controlKeys
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
                Self.forEachNestedList(of: controlKeys) { nested in
                    collectExpressions(in: nested, graph: graph, vars: allVars, next: &next)
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
