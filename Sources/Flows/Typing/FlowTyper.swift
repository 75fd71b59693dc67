import CEL
import Catalog
import Diagnostics
import YAML

/// Where an expression part stands: its scalar's start offset in the file and the part's
/// position among the site's parts. Unique within a file.
public struct ExpressionKey: Sendable, Hashable {
    public var offset: Int
    public var part: Int

    public init(_ site: ExpressionSite, part: Int) {
        offset = site.span.start.offset
        self.part = part
    }
}

/// What typing one flow found: the checked type of every expression part, the type of each
/// var and of each `foreach` element, and the diagnostics.
public struct FlowTyping: Sendable {
    public var diagnostics: [Diagnostic] = []
    /// Checked result types; a part that failed to check has no entry.
    public var expressionTypes: [ExpressionKey: CELType] = [:]
    /// Each var's type, in declaration order (as read back from its catalog type name).
    public var varTypes: [(name: String, type: CELType)] = []
    /// The element type of each `foreach`, by ``FlowAction/index``.
    public var elementTypes: [Int: CELType] = [:]
    /// The loop variable name of each `foreach`, by ``FlowAction/index``.
    public var loopNames: [Int: String] = [:]
    /// The flow's full scope (every var and action).
    public var scope: FlowScope

    public func type(of site: ExpressionSite, part: Int) -> CELType? { expressionTypes[ExpressionKey(site, part: part)] }
}

/// The typing pass of SPEC 4.2–4.4: every expression of a flow, parsed and checked in its
/// scope, then checked against what its place expects; plus the lint warnings that need
/// types (unguarded optional fields, unused vars, constant conditions, actions that never run).
public enum FlowTyper {
    public static func type(_ flow: Flow, catalog: Catalog = .standard) -> FlowTyping {
        type(flow, catalog: catalog, memo: TypingMemo())
    }

    /// Types a flow reusing what earlier flows of the same lint computed. With `recordsTypes:
    /// false` only the diagnostics are wanted and ``FlowTyping/expressionTypes`` stays empty.
    /// `index`, the catalog's (``CatalogIndex/of(_:)``), saves looking it up per flow.
    static func type(_ flow: Flow, catalog: Catalog, memo: TypingMemo, recordsTypes: Bool = true, index: CatalogIndex? = nil) -> FlowTyping {
        // The pass reads the flow in place: a copy of a `Flow` retains and later releases
        // every field through its value witness (about 900 instructions a flow in callgrind
        // runs of the lint benchmark). The pass does not outlive this call.
        withUnsafePointer(to: flow) { flow in
            withUnsafePointer(to: catalog) { catalog in
                let pass = TypingPass(flow: flow, catalog: catalog, memo: memo, recordsTypes: recordsTypes, index: index)
                pass.run()
                return pass.typing
            }
        }
    }
}

/// Work that flows of one lint share, keyed by everything the result depends on: parsing is
/// a function of the text alone, checking of the text and the environment (one shared
/// ``ScopeEnvironment`` per distinct set of declarations, so its identity stands for its
/// contents), and the catalog's trigger expressions of the trigger and event records.
/// One memo serves one thread at a time.
///
/// Its tables are read and written only from its own methods, never while another access is
/// under way (no `make` closure calls back into the memo), so they go without the dynamic
/// exclusivity checks of class properties: those were about 5% of the typing pass in callgrind
/// runs of the lint benchmark.
final class TypingMemo {
    @exclusivity(unchecked) private var texts: [String: ExpressionText] = [:]
    @exclusivity(unchecked) private var checkCount = 0
    @exclusivity(unchecked) private var lowering: [LoweringKey: [String?]] = [:]
    @exclusivity(unchecked) private var triggers: [CELRecordType: TriggerChecks] = [:]
    /// By trigger name, with the records of the catalog they were read from.
    @exclusivity(unchecked) private var triggerFacts: [String: (records: ScopeRecords, facts: TriggerFacts)] = [:]
    /// Catalog type names that hold no record, as CEL types (records are named after their
    /// place, so those are built each time).
    @exclusivity(unchecked) private var expectedTypes: [String: CELType] = [:]
    /// Scopes by what they are made from; see ``flowScope(_:make:)`` and ``narrowed(_:to:make:)``.
    @exclusivity(unchecked) private var scopes: [ScopeKey: ScopeEntry] = [:]
    /// Bounds the tables for a lint of a huge repository; a cleared memo only costs time.
    private static let maxEntries = 65_536

    // The tables below are scanned before the hashed ones: flows of one repository come in
    // few shapes, and comparing with a few recent entries costs a fraction of hashing every
    // flow's trigger name, event type, action ids and types and record identities (about
    // 5,000 instructions a flow in callgrind runs of the lint benchmark). Each entry holds
    // what its identities stand for, so that no other object can take them.
    @exclusivity(unchecked) private var recentFlowScopes = RecentEntries<RecentFlowScope>(limit: 8)
    @exclusivity(unchecked) private var recentNarrowed = RecentNarrowedScopes()
    @exclusivity(unchecked) private var recentTriggers = RecentEntries<RecentTrigger>(limit: 8)
    @exclusivity(unchecked) private var recentFieldPositions = RecentEntries<RecentFieldPositions>(limit: 8)
    @exclusivity(unchecked) private var recentTriggerChecks = RecentEntries<(record: CELRecordType, checks: TriggerChecks)>(limit: 8)
    @exclusivity(unchecked) private var recentLowering = RecentEntries<(key: LoweringKey, problems: [String?])>(limit: 8)
    @exclusivity(unchecked) private var recentTexts = RecentTexts()
    @exclusivity(unchecked) private var identityBuffer: [FlowScope.ActionIdentity] = []

    /// The texts of the expressions of the last flows, found by comparing lengths before
    /// texts: hashing each expression's text was about 500 instructions a lookup, and the
    /// flows of one repository repeat a few texts (callgrind runs of the lint benchmark).
    private struct RecentTexts {
        private var lengths: [Int] = []
        private var texts: [String] = []
        private var entries: [ExpressionText] = []
        private var next = 0
        private static let limit = 16

        func entry(for text: String) -> ExpressionText? {
            let length = text.utf8.count
            for position in lengths.indices where lengths[position] == length && texts[position] == text {
                return entries[position]
            }
            return nil
        }

        mutating func add(_ text: String, _ entry: ExpressionText) {
            if lengths.count < Self.limit {
                lengths.append(text.utf8.count)
                texts.append(text)
                entries.append(entry)
                return
            }
            lengths[next] = text.utf8.count
            texts[next] = text
            entries[next] = entry
            next = (next + 1) % Self.limit
        }
    }

    private struct RecentFlowScope {
        var records: ScopeRecords
        var trigger: String
        var eventType: String?
        var actions: [FlowScope.ActionIdentity]
        var scope: FlowScope
    }

    /// Narrowed scopes by plain identities and masks, which a scan reads without reference
    /// counting; `kept` holds the objects the identities stand for.
    private struct RecentNarrowedScopes {
        private var environments: [ObjectIdentifier] = []
        private var records: [ObjectIdentifier] = []
        private var masks: [UInt64] = []
        private var scopes: [FlowScope] = []
        private var kept: [(environment: AnyObject, records: AnyObject)] = []
        private var next = 0
        private static let limit = 16

        func scope(environment: ObjectIdentifier, records: ObjectIdentifier, mask: UInt64) -> FlowScope? {
            for position in masks.indices where masks[position] == mask && environments[position] == environment && self.records[position] == records {
                return scopes[position]
            }
            return nil
        }

        mutating func add(_ scope: FlowScope, environment: AnyObject, records: AnyObject, mask: UInt64) {
            if masks.count < Self.limit {
                environments.append(ObjectIdentifier(environment))
                self.records.append(ObjectIdentifier(records))
                masks.append(mask)
                scopes.append(scope)
                kept.append((environment, records))
                return
            }
            environments[next] = ObjectIdentifier(environment)
            self.records[next] = ObjectIdentifier(records)
            masks[next] = mask
            scopes[next] = scope
            kept[next] = (environment, records)
            next = (next + 1) % Self.limit
        }
    }

    private struct RecentTrigger {
        var name: String
        var records: ScopeRecords
        var facts: TriggerFacts
    }

    private struct RecentFieldPositions {
        var actions: CELRecordType
        var ids: [String?]
        var positions: [Int]
    }

    /// The `event` and `trigger` records a catalog lowering expression is checked against.
    struct LoweringKey: Hashable {
        var event: CELRecordType
        var trigger: CELRecordType
    }

    /// What a scope of the typing pass is made from. Identities stand for objects that the
    /// entry keeps alive (``ScopeEntry/anchor``), so that no other object can take them.
    enum ScopeKey: Hashable {
        /// A flow's scope: its trigger, event type and actions, in a catalog's records.
        case flow(records: ObjectIdentifier, trigger: String, eventType: String?, actions: [FlowScope.ActionIdentity])
        /// A scope narrowed to the actions an action sees.
        case narrowed(records: ObjectIdentifier, environment: ObjectIdentifier, visible: VisibleActions)
        /// A flow's scope with other vars.
        case replaced(records: ObjectIdentifier, vars: CELRecordType, keepingActions: Bool)
    }

    private struct ScopeEntry {
        var scope: FlowScope
        var anchor: AnyObject
    }

    init() {}

    /// A flow's scope without vars, made once per catalog, trigger, event type and actions:
    /// flows of one shape share it, and with it the scopes narrowed from it.
    func flowScope(records: ScopeRecords, trigger: String, eventType: String?, actions: [FlowScope.ActionIdentity], make: () -> FlowScope) -> FlowScope {
        if let recent = recentFlowScopes.first(where: {
            $0.pointee.records === records && $0.pointee.trigger == trigger && $0.pointee.eventType == eventType && $0.pointee.actions == actions
        }, read: { $0.pointee.scope }) {
            return recent
        }
        let key = ScopeKey.flow(records: ObjectIdentifier(records), trigger: trigger, eventType: eventType, actions: actions)
        let scope = scope(key, anchor: records, make: make)
        recentFlowScopes.add(RecentFlowScope(records: records, trigger: trigger, eventType: eventType, actions: actions, scope: scope))
        return scope
    }

    /// A list for the action identities of the next flow, empty, with the capacity of the
    /// last one: handed back by ``returnIdentityBuffer(_:)``. (A scope made from the list
    /// keeps a copy of it, and the next flow then gets a new one.)
    func takeIdentityBuffer() -> [FlowScope.ActionIdentity] {
        var buffer: [FlowScope.ActionIdentity] = []
        swap(&buffer, &identityBuffer)
        buffer.removeAll(keepingCapacity: true)
        return buffer
    }

    func returnIdentityBuffer(_ buffer: [FlowScope.ActionIdentity]) {
        identityBuffer = buffer
    }

    /// `outer` narrowed to `visible`, made once per outer scope.
    func narrowed(_ outer: FlowScope, to visible: VisibleActions, make: () -> FlowScope) -> FlowScope {
        let environment = outer.sharedEnvironment
        let recordsIdentity = outer.recordsIdentity
        if case .mask(let mask) = visible,
           let recent = recentNarrowed.scope(environment: ObjectIdentifier(environment), records: recordsIdentity, mask: mask) {
            return recent
        }
        let key = ScopeKey.narrowed(records: recordsIdentity, environment: ObjectIdentifier(environment), visible: visible)
        // The narrowed scope keeps the records alive; the anchor keeps the outer environment.
        let scope = scope(key, anchor: environment, make: make)
        if case .mask(let mask) = visible { recentNarrowed.add(scope, environment: environment, records: outer.recordsAnchor, mask: mask) }
        return scope
    }

    /// ``ActionPositions/fieldPositions(ids:actions:)``, reused while flows of one shape follow
    /// each other: looking up each id in the record showed up in profiles of lint.
    func fieldPositions(ids: [String?], actions: CELRecordType) -> [Int] {
        if let recent = recentFieldPositions.first(where: { $0.pointee.actions === actions && $0.pointee.ids == ids }, read: { $0.pointee.positions }) {
            return recent
        }
        let positions = ActionPositions.fieldPositions(ids: ids, actions: actions)
        recentFieldPositions.add(RecentFieldPositions(actions: actions, ids: ids, positions: positions))
        return positions
    }

    /// `base` with the vars of `varsType`, made once per base scope.
    func replaced(_ base: FlowScope, varsType: CELRecordType, keepingActions: Bool) -> FlowScope {
        let key = ScopeKey.replaced(records: base.recordsIdentity, vars: varsType, keepingActions: keepingActions)
        return scope(key, anchor: base.recordsAnchor) {
            base.replacing(varsType: varsType, keepingActions: keepingActions)
        }
    }

    private func scope(_ key: ScopeKey, anchor: AnyObject, make: () -> FlowScope) -> FlowScope {
        if let known = scopes[key] { return known.scope }
        let scope = make()
        if scopes.count >= Self.maxEntries { scopes.removeAll() }
        scopes[key] = ScopeEntry(scope: scope, anchor: anchor)
        return scope
    }

    /// The parse of `text`, once per text; it also holds the text's checks.
    func text(_ text: String, limits: CELLimits) -> ExpressionText {
        if let recent = recentTexts.entry(for: text) { return recent }
        if let known = texts[text] {
            recentTexts.add(text, known)
            return known
        }
        if texts.count >= Self.maxEntries || checkCount >= Self.maxEntries {
            texts.removeAll()
            recentTexts = RecentTexts()
            checkCount = 0
        }
        let entry = ExpressionText(parsed: CELParser.parse(text, limits: limits))
        texts[text] = entry
        recentTexts.add(text, entry)
        return entry
    }

    /// `parsed`, the tree of `entry`, checked in `scope`, once per text and environment.
    func checked(_ entry: ExpressionText, parsed: CELParsed, in scope: FlowScope) -> CheckedExpression {
        let shared = scope.sharedEnvironment
        if let known = entry.checked(in: shared) { return known }
        checkCount += 1
        let result = CheckedExpression(checked: shared.environment.check(parsed), environment: shared)
        entry.add(result)
        return result
    }

    /// What the typing pass reads of a catalog trigger before it has a scope.
    struct TriggerFacts {
        var isKnown: Bool
        var event: String?
        var eventTypeParameter: String?
    }

    /// The facts of the trigger called `name` in the catalog of `index`, read once per name:
    /// a lookup in the index copies the whole catalog entry.
    func trigger(_ name: String, in index: CatalogIndex) -> TriggerFacts {
        let records = index.records
        if let recent = recentTriggers.first(where: { $0.pointee.records === records && $0.pointee.name == name }, read: { $0.pointee.facts }) {
            return recent
        }
        let facts: TriggerFacts
        if let known = triggerFacts[name], known.records === records {
            facts = known.facts
        } else {
            let trigger = index.triggers[name]?.trigger
            facts = TriggerFacts(isKnown: trigger != nil, event: trigger?.event, eventTypeParameter: trigger?.lowering.eventTypeParameter)
            if triggerFacts.count >= Self.maxEntries { triggerFacts.removeAll() }
            triggerFacts[name] = (records, facts)
        }
        recentTriggers.add(RecentTrigger(name: name, records: records, facts: facts))
        return facts
    }

    /// What checking a use of a trigger needs of its catalog entry, by the trigger's record:
    /// within one catalog's records, each record belongs to one trigger.
    func triggerChecks(_ record: CELRecordType, make: () -> TriggerChecks) -> TriggerChecks {
        if let recent = recentTriggerChecks.first(where: { $0.pointee.record === record }, read: { $0.pointee.checks }) { return recent }
        let checks: TriggerChecks
        if let known = triggers[record] {
            checks = known
        } else {
            checks = make()
            if triggers.count >= Self.maxEntries { triggers.removeAll() }
            triggers[record] = checks
        }
        recentTriggerChecks.add((record, checks))
        return checks
    }

    /// The problems of a trigger's catalog lowering expressions (nil: none), in the order
    /// `compute` gives them; kept when the answer holds for every scope with these records.
    func loweringProblems(_ key: LoweringKey, compute: () -> (problems: [String?], cacheable: Bool)) -> [String?] {
        if let recent = recentLowering.first(where: { $0.pointee.key == key }, read: { $0.pointee.problems }) { return recent }
        if let known = lowering[key] {
            recentLowering.add((key, known))
            return known
        }
        let (problems, cacheable) = compute()
        if cacheable {
            if lowering.count >= Self.maxEntries { lowering.removeAll() }
            lowering[key] = problems
            recentLowering.add((key, problems))
        }
        return problems
    }

    /// ``FlowTypeNames/celType(catalogName:recordName:)``, once per name for names without records.
    func expectedType(catalogName text: String, recordName: () -> String) -> CELType {
        if let known = expectedTypes[text] { return known }
        let type = FlowTypeNames.celType(catalogName: text, recordName: recordName())
        if !type.containsRecord {
            if expectedTypes.count >= Self.maxEntries { expectedTypes.removeAll() }
            expectedTypes[text] = type
        }
        return type
    }
}

/// A few entries, most recent replacing the oldest, found by a scan.
struct RecentEntries<Entry> {
    private var entries: [Entry] = []
    private var next = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        entries.reserveCapacity(limit)
    }

    /// `read` of the first entry `matches` accepts. Both read entries in place: copying each
    /// entry would cost more than the test.
    func first<Value>(where matches: (UnsafePointer<Entry>) -> Bool, read: (UnsafePointer<Entry>) -> Value) -> Value? {
        entries.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            for position in buffer.indices where matches(base + position) { return read(base + position) }
            return nil
        }
    }

    mutating func add(_ entry: Entry) {
        if entries.count < limit {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % limit
        }
    }
}

/// What checking a use of one catalog trigger needs of the catalog's entry.
final class TriggerChecks {
    /// A catalog expression that lowers the trigger, with what its result must be.
    struct Lowering {
        var what: String
        var source: String
        var expected: String?
    }

    /// Parameters that hold expressions (`filter`), in catalog order.
    let expressionParameters: [String]
    /// The lowering expressions the catalog gives, in the order `filter`, `key`, `value`.
    let lowering: [Lowering]

    /// The checks of `trigger`; none for an unknown trigger.
    init(_ trigger: Trigger?) {
        guard let trigger else {
            expressionParameters = []
            lowering = []
            return
        }
        expressionParameters = trigger.parameters.filter { $0.kind == "expression" }.map(\.name)
        let lowering = trigger.lowering
        self.lowering = [
            lowering.filter.map { Lowering(what: "filter", source: $0, expected: "bool") },
            lowering.key.map { Lowering(what: "key", source: $0, expected: nil) },
            lowering.value.map { Lowering(what: "value", source: $0, expected: lowering.valueType) },
        ].compactMap { $0 }
    }
}

/// One expression text: its parse and its checks, by environment. Its tables go without
/// dynamic exclusivity checks, as those of ``TypingMemo`` (no access overlaps another).
final class ExpressionText {
    let parsed: Result<CELParsed, CELIssue>
    /// Identities are safe keys: each check keeps its environment alive. The scan reads
    /// plain identities, which cost no reference counting.
    @exclusivity(unchecked) private var environments: [ObjectIdentifier] = []
    @exclusivity(unchecked) private var checks: [CheckedExpression] = []
    @exclusivity(unchecked) private var byEnvironment: [ObjectIdentifier: CheckedExpression] = [:]
    /// Most texts are checked in a few environments, where a scan beats hashing; the table
    /// serves texts that every flow shape of a large repository shares.
    private static let scanLimit = 8

    init(parsed: Result<CELParsed, CELIssue>) {
        self.parsed = parsed
    }

    func checked(in environment: ScopeEnvironment) -> CheckedExpression? {
        let identity = ObjectIdentifier(environment)
        if byEnvironment.isEmpty {
            guard let position = environments.firstIndex(of: identity) else { return nil }
            return checks[position]
        }
        return byEnvironment[identity]
    }

    func add(_ check: CheckedExpression) {
        let identity = ObjectIdentifier(check.environment)
        if byEnvironment.isEmpty, checks.count < Self.scanLimit {
            environments.append(identity)
            checks.append(check)
            return
        }
        for (earlier, check) in zip(environments, checks) { byEnvironment[earlier] = check }
        environments = []
        checks = []
        byEnvironment[identity] = check
    }
}

/// An expression checked in one environment, with what the typing pass derives from it,
/// each derived once: a lint checks the same text in the same environment in many flows.
/// (Stored results go without dynamic exclusivity checks, as in ``TypingMemo``.)
final class CheckedExpression {
    let checked: CELChecked
    /// The environment checked in; kept so that its identity stays a valid memo key.
    let environment: ScopeEnvironment

    init(checked: CELChecked, environment: ScopeEnvironment) {
        self.checked = checked
        self.environment = environment
    }

    var resultType: CELType { checked.resultType }

    /// Unguarded optional reads with no outer facts. Outer facts only remove findings
    /// (``GuardAnalysis/Finding/guardKey``), so one walk serves every place.
    var unguarded: [GuardAnalysis.Finding] {
        analyzeIfNeeded()
        return unguardedStorage
    }

    /// The vars the expression reads.
    var varReads: Set<String> {
        analyzeIfNeeded()
        return varReadsStorage
    }

    @exclusivity(unchecked) private var analyzed = false
    @exclusivity(unchecked) private var unguardedStorage: [GuardAnalysis.Finding] = []
    @exclusivity(unchecked) private var varReadsStorage: Set<String> = []

    private func analyzeIfNeeded() {
        guard !analyzed else { return }
        analyzed = true
        var analysis = GuardAnalysis(checked: checked)
        analysis.walk(checked.parsed.root, guards: Guards())
        unguardedStorage = analysis.unguarded
        varReadsStorage = analysis.varReads
    }

    /// The vars read by an expression that failed to check.
    private(set) lazy var untypedVarReads: Set<String> = GuardAnalysis.varReads(in: checked.parsed.root)

    /// The check's issues, with notes on scope where the message is about scope.
    private(set) lazy var explainedIssues: [CELIssue] = checked.issues.map(Self.explained)

    /// What a condition proves when true and when false.
    private(set) lazy var facts: (positive: Guards, negative: Guards) = (
        GuardAnalysis.positive(checked.parsed.root), GuardAnalysis.negative(checked.parsed.root)
    )

    /// The value of a `bool` expression that reads no variable, nil otherwise.
    private(set) lazy var constantValue: Bool? = {
        guard resultType == .bool, !readsVariables else { return nil }
        let environment = environment.environment
        if case .bool(let constant) = environment.program(for: checked).evaluate([:], in: environment) { return constant }
        return nil
    }()

    /// Whether the expression reads any variable (without building the set of slots).
    private var readsVariables: Bool {
        checked.references.values.contains { reference in
            if case .variable = reference { return true }
            return false
        }
    }

    /// Unknown fields of `actions` and `vars` are about scope, not spelling: say so.
    private static func explained(_ issue: CELIssue) -> CELIssue {
        guard issue.code == .celUnknownField else { return issue }
        var issue = issue
        if issue.message.hasPrefix("`actions` has no field") {
            issue.notes = ["`actions.ID` is readable only where the action has surely finished: after it in sequence, through `run_after`, or before the enclosing control action"]
        } else if issue.message.hasPrefix("`vars` has no field") {
            issue.notes = ["a var sees only the vars declared before it; actions see all of them"]
        }
        return issue
    }
}

/// Facts known to hold where an expression is evaluated: the optional fields tested present.
typealias Guards = Set<String>

/// A class rather than a struct: as a struct it was built aside and copied whole into the
/// caller's variable, about 2,500 instructions a flow (callgrind, lint benchmark). Its state
/// goes without dynamic exclusivity checks: it is used by one call of
/// ``FlowTyper/type(_:catalog:memo:recordsTypes:)``, and no access to it overlaps another.
final class TypingPass {
    /// The flow being typed and the catalog, valid while ``FlowTyper/type(_:catalog:memo:recordsTypes:)``
    /// runs: read in place, since copies retain and release every field (see there).
    private let flow: UnsafePointer<Flow>
    private let catalogPointer: UnsafePointer<Catalog>
    @exclusivity(unchecked) var typing: FlowTyping
    /// The vars that expressions read; collected only when the flow declares vars.
    @exclusivity(unchecked) private var varReads: Set<String> = []
    /// Every action with a `run_after`, in index order: what ``checkRunAfter()`` reads.
    @exclusivity(unchecked) private var waitingActions: [WaitingAction] = []

    /// What ``checkRunAfter()`` needs of an action with a `run_after`; copies of whole
    /// actions would be large.
    private struct WaitingAction {
        var index: Int
        /// What ``FlowAction/displayName`` is made of, put together only for a diagnostic.
        var id: String?
        var line: Int
        var runAfter: RunAfter

        var displayName: String { id ?? "(action at line \(line))" }
    }

    /// What decides the statuses an action can end in.
    private struct EndingFacts {
        var index: Int
        var kind: ActionKind
        var hasTimeout: Bool
    }
    @exclusivity(unchecked) private var constantFalse: Set<Int> = []
    private let limits = CELLimits()
    private let memo: TypingMemo
    private let index: CatalogIndex
    /// Whether ``FlowTyping/expressionTypes`` is filled: lowering reads it, lint does not.
    private let recordsTypes: Bool
    /// Whether the catalog knows the flow's trigger.
    private let triggerIsKnown: Bool
    /// Which actions each action sees, as positions in the flow's `actions` record.
    private let visibility: ActionPositions

    /// What ``init(flow:catalog:memo:)`` gathers from the flow's actions in one walk.
    private struct ActionFacts {
        var identities: [FlowScope.ActionIdentity] = []
        var waiting: [WaitingAction] = []

        mutating func collect(_ list: ActionList) {
            // Fields are read through the buffer: copying each whole action (a dozen
            // references) showed up in profiles of lint.
            list.actions.forEachBorrowed { collect($0) }
        }

        private mutating func collect(_ action: UnsafePointer<FlowAction>) {
            if let runAfter = action.pointee.runAfter {
                waiting.append(WaitingAction(
                    index: action.pointee.index, id: action.pointee.idValue, line: action.pointee.span.start.line, runAfter: runAfter))
            }
            // As `id?.value`, which needs the span too, without making a `Located`.
            if let id = action.pointee.idValue, action.pointee.idSpan != nil, let type = action.pointee.type?.value {
                identities.append(FlowScope.ActionIdentity(id: id, type: type))
            }
            action.pointee.controlKeys.forEachBorrowed { key in
                switch key.pointee.value {
                case .actions(let nested): collect(nested)
                case .cases(let cases): for switchCase in cases { collect(switchCase.actions) }
                case .branches(let lists): for nested in lists { collect(nested) }
                case .expression, .name, .value: break
                }
            }
        }
    }

    /// The ending facts of the first action with `actionIndex` in a pre-order walk, found
    /// when a `run_after` needs them (rarely: most wait for a status every action can end in).
    private func endingFacts(of actionIndex: Int) -> EndingFacts? {
        func find(in list: ActionList) -> EndingFacts? {
            var found: EndingFacts?
            list.actions.forEachBorrowed { action in
                guard found == nil else { return }
                if action.pointee.index == actionIndex {
                    found = EndingFacts(index: actionIndex, kind: action.pointee.kind, hasTimeout: action.pointee.timeout != nil)
                    return
                }
                action.pointee.controlKeys.forEachBorrowed { key in
                    guard found == nil else { return }
                    switch key.pointee.value {
                    case .actions(let nested): found = find(in: nested)
                    case .cases(let cases): for switchCase in cases where found == nil { found = find(in: switchCase.actions) }
                    case .branches(let lists): for nested in lists where found == nil { found = find(in: nested) }
                    case .expression, .name, .value: break
                    }
                }
            }
            return found
        }
        return find(in: flow.pointee.actions)
    }

    init(flow: UnsafePointer<Flow>, catalog: UnsafePointer<Catalog>, memo: TypingMemo, recordsTypes: Bool = true, index: CatalogIndex? = nil) {
        let index = index ?? CatalogIndex.of(catalog.pointee)
        var facts = ActionFacts()
        // The memo's list, emptied: a list of its own cost an allocation per flow.
        facts.identities = memo.takeIdentityBuffer()
        let actionCount = flow.pointee.actionGraph?.ids.count ?? 0
        facts.identities.reserveCapacity(actionCount)
        facts.collect(flow.pointee.actions)
        let triggerName = flow.pointee.trigger?.type?.value ?? ""
        let trigger = memo.trigger(triggerName, in: index)
        // A known trigger was found by its written name, so the flow has a trigger with a
        // type; its event type is then the catalog's, and the written trigger is read (and
        // copied) only for a parameter that names the event type.
        let eventType: String?
        if !trigger.isKnown {
            eventType = nil
        } else if let event = trigger.event {
            eventType = event
        } else {
            eventType = Self.eventTypeName(flow.pointee.trigger, trigger, index: index)
        }
        let actions = facts.identities
        let scope = memo.flowScope(records: index.records, trigger: triggerName, eventType: eventType, actions: actions) {
            FlowScope(index: index, catalog: catalog.pointee, trigger: triggerName, eventType: eventType, vars: [], actions: actions)
        }
        memo.returnIdentityBuffer(facts.identities)
        let visibility = ActionPositions(graph: flow.pointee.actionGraph, actions: scope.allActionsType, memo: memo)
        let waiting = facts.waiting.count > 1 ? facts.waiting.sorted { $0.index < $1.index } : facts.waiting
        self.recordsTypes = recordsTypes
        self.flow = flow
        catalogPointer = catalog
        self.memo = memo
        self.index = index
        self.typing = FlowTyping(scope: scope)
        waitingActions = waiting
        triggerIsKnown = trigger.isKnown
        self.visibility = visibility
        if recordsTypes { typing.expressionTypes.reserveCapacity(flow.pointee.expressions.count) }
    }

    /// The generic trigger's `event_type` when it names one catalog event type exactly.
    static func eventTypeName(_ trigger: TriggerUse?, catalog: Catalog) -> String? {
        let index = CatalogIndex.of(catalog)
        let catalogTrigger = trigger?.type.flatMap { index.triggers[$0.value]?.trigger }
        let facts = TypingMemo.TriggerFacts(
            isKnown: catalogTrigger != nil, event: catalogTrigger?.event, eventTypeParameter: catalogTrigger?.lowering.eventTypeParameter)
        return eventTypeName(trigger, facts, index: index)
    }

    /// The same, from what the typing pass reads of the trigger's catalog entry.
    private static func eventTypeName(_ trigger: TriggerUse?, _ facts: TypingMemo.TriggerFacts, index: CatalogIndex) -> String? {
        guard let trigger, trigger.type != nil, facts.isKnown else { return nil }
        if let event = facts.event { return event }
        guard let parameter = facts.eventTypeParameter,
              case .literal(let scalar, _)? = trigger.argument(parameter)?.value,
              !scalar.value.contains("*"), index.eventsByType.index(forKey: scalar.value) != nil else { return nil }
        return scalar.value
    }

    func run() {
        let base = typing.scope
        // Trigger: the `filter` parameter and the catalog's lowering expressions.
        checkTrigger(in: base)
        // Conditions see neither vars nor actions; what they test holds for everything after.
        var guards = Guards()
        for (offset, site) in flow.pointee.conditions.enumerated() {
            let facts = checkCondition(site, what: "conditions[\(offset)]", in: base, guards: Guards())
            guards.formUnion(facts.positive)
        }
        if !flow.pointee.vars.isEmpty {
            // Vars in order; each sees the earlier ones.
            var varTypes: [(name: String, type: CELType)] = []
            let records = base.scopeRecords
            for variable in flow.pointee.vars {
                let scope = memo.replaced(base, varsType: records.varsRecord(varTypes), keepingActions: false)
                let type = valueType(variable.value, what: "vars.\(variable.name)", expected: nil, in: scope, guards: guards)
                varTypes.append((variable.name, records.roundTripped(type, recordName: "vars.\(variable.name)")))
            }
            typing.varTypes = varTypes
            typing.scope = memo.replaced(base, varsType: records.varsRecord(varTypes), keepingActions: true)
        }
        walk(flow.pointee.actions, scope: typing.scope, guards: guards)
        checkRunAfter()
        for variable in flow.pointee.vars where !varReads.contains(variable.name) {
            typing.diagnostics.append(Diagnostic(
                .typeUnusedVar, .warning, "var `\(variable.name)` is never read", at: variable.keySpan,
                label: "no expression reads `vars.\(variable.name)`"))
        }
    }

    // MARK: - Trigger

    private func checkTrigger(in scope: FlowScope) {
        // The written trigger is read field by field: binding it copied the whole `TriggerUse`
        // (about 500 instructions a flow with its release, callgrind runs of lint).
        guard triggerIsKnown, let name = flow.pointee.trigger?.type?.value else { return }
        let checks = memo.triggerChecks(scope.triggerType) {
            TriggerChecks(index.triggers[name]?.trigger)
        }
        if !checks.expressionParameters.isEmpty, let arguments = flow.pointee.trigger?.arguments {
            for parameter in checks.expressionParameters {
                guard let position = arguments.firstIndex(where: { $0.name == parameter }),
                      case .expression(let site) = arguments[position].value else { continue }
                _ = checkCondition(site, what: "trigger.\(parameter)", in: scope, guards: Guards())
            }
        }
        let key = TypingMemo.LoweringKey(event: scope.eventRecordType, trigger: scope.triggerType)
        let problems = memo.loweringProblems(key) {
            var cacheable = true
            let problems = checks.lowering.map { lowering -> String? in
                let (problem, holds) = Self.loweringProblem(lowering.source, what: lowering.what, expected: lowering.expected, in: scope)
                cacheable = cacheable && holds
                return problem
            }
            return (problems, cacheable)
        }
        for (lowering, problem) in zip(checks.lowering, problems) {
            guard let problem else { continue }
            typing.diagnostics.append(Diagnostic(
                .typeCatalogExpression, .error, "the catalog's `\(lowering.what)` of trigger `\(name)` does not check: \(problem)",
                at: flow.pointee.trigger?.type?.span ?? flow.pointee.trigger?.span ?? flow.pointee.span))
        }
    }

    /// What is wrong with a catalog expression in `scope`, and whether the answer holds for
    /// every scope with the same `event` and `trigger` records (it reads nothing else).
    private static func loweringProblem(_ source: String, what: String, expected: String?, in scope: FlowScope) -> (problem: String?, cacheable: Bool) {
        let parsed: CELParsed
        switch CELParser.parse(source) {
        case .failure(let issue): return (issue.message, true)
        case .success(let tree): parsed = tree
        }
        let checked = scope.environment.check(parsed)
        let sharedSlots: Set<Int> = [scope.slots.event, scope.slots.trigger, scope.slots.env, scope.slots.secrets, scope.slots.now, scope.slots.flow]
        let cacheable = checked.referencedSlots.isSubset(of: sharedSlots)
        if let issue = checked.issues.first { return (issue.message, cacheable) }
        let type = checked.resultType
        if let expected, !FlowTypeNames.celType(catalogName: expected, recordName: what).accepts(type) {
            return ("it is of type `\(FlowTypeNames.celName(type))`, not `\(expected)`", cacheable)
        }
        return (nil, cacheable)
    }

    // MARK: - Actions

    private func walk(_ list: ActionList, scope: FlowScope, guards: Guards) {
        // Borrowed, not copied (see `collect`).
        list.actions.forEachBorrowed { walk($0, scope: scope, guards: guards) }
    }

    /// The scope of an action's own expressions: `outer` narrowed to the actions it sees.
    private func scope(of action: Int, outer: FlowScope) -> FlowScope {
        // The closure captures the positions alone: capturing `self` copied the whole pass.
        let visibility = visibility
        let visible = visibility.visible(before: action)
        return memo.narrowed(outer, to: visible) { outer.visible(actionPositions: visibility.positions(visible)) }
    }

    private func walk(_ action: UnsafePointer<FlowAction>, scope outer: FlowScope, guards outerGuards: Guards) {
        let scope = scope(of: action.pointee.index, outer: outer)
        var guards = outerGuards
        if let site = action.pointee.condition {
            let facts = checkCondition(site, what: "if", in: scope, guards: guards)
            guards.formUnion(facts.positive)
            if facts.constant == false {
                constantFalse.insert(action.pointee.index)
                typing.diagnostics.append(Diagnostic(
                    .typeNeverRuns, .warning, "action `\(action.pointee.displayName)` can never run", at: expressionSpan(site),
                    label: "this condition is always false"))
            }
        }
        let isSet: Bool
        switch action.pointee.kind {
        case .action(let type), .control(let type): isSet = type == "set"
        case .unknown: isSet = false
        }
        if isSet {
            checkSet(action, in: scope, guards: guards)
        } else {
            // Borrowed through the buffer, as in `walk(_:scope:guards:)`.
            action.pointee.inputs.withUnsafeBufferPointer { inputs in
                for position in inputs.indices {
                    checkExpressions(in: inputs[position].value, what: inputs[position].name, in: scope, guards: guards)
                }
            }
        }
        guard case .control(let control) = action.pointee.kind else { return }
        var conditionFacts = Facts()
        var onType: CELType?
        var elementType: CELType = .dyn
        action.pointee.controlKeys.forEachBorrowed { key in
            switch key.pointee.value {
            case .expression(let site):
                if site.role == .condition {
                    conditionFacts = checkCondition(site, what: key.pointee.name, in: scope, guards: guards)
                } else {
                    let type = checkSite(site, what: key.pointee.name, in: scope, guards: guards)
                    if control == "foreach", key.pointee.name == "items" { elementType = checkItems(site, type) }
                    if control == "switch", key.pointee.name == "on" { onType = checkOn(site, type) }
                }
            case .value(let value):
                let type = valueType(value, what: key.pointee.name, expected: nil, in: scope, guards: guards)
                if control == "foreach", key.pointee.name == "items", case .expression(let site) = value { elementType = checkItems(site, type) }
                if control == "switch", key.pointee.name == "on", case .expression(let site) = value { onType = checkOn(site, type) }
            case .actions, .cases, .branches, .name:
                break
            }
        }
        var inner = scope
        if control == "foreach" {
            var loopName = "item"
            action.pointee.controlKeys.forEachBorrowed { key in
                if case .name(let written) = key.pointee.value { loopName = written.value }
            }
            let element = index.records.roundTripped(elementType, recordName: loopName)
            typing.elementTypes[action.pointee.index] = element
            typing.loopNames[action.pointee.index] = loopName
            inner = scope.adding(loopVariables: [(loopName, element)])
        }
        // Each nested action narrows `actions` again from the flow's complete list.
        let nestedScope = inner
        action.pointee.controlKeys.forEachBorrowed { key in
            switch key.pointee.value {
            case .actions(let list):
                var nestedGuards = guards
                if control == "if" {
                    nestedGuards.formUnion(key.pointee.name == "else" ? conditionFacts.negative : conditionFacts.positive)
                }
                walk(list, scope: nestedScope, guards: nestedGuards)
            case .cases(let cases):
                for switchCase in cases {
                    checkCase(switchCase, onType: onType)
                    walk(switchCase.actions, scope: nestedScope, guards: guards)
                }
            case .branches(let lists):
                for list in lists { walk(list, scope: nestedScope, guards: guards) }
            case .expression, .value, .name:
                break
            }
        }
    }

    private func checkItems(_ site: ExpressionSite, _ type: CELType?) -> CELType {
        guard let type else { return .dyn }
        switch type {
        case .list(let element): return element
        case .dyn, .error: return .dyn
        default:
            typing.diagnostics.append(Diagnostic(
                .typeItemsNotList, .error, "`foreach` `items` must be a list, not `\(FlowTypeNames.celName(type))`",
                at: expressionSpan(site), label: "of type `\(FlowTypeNames.celName(type))`"))
            return .dyn
        }
    }

    private func checkOn(_ site: ExpressionSite, _ type: CELType?) -> CELType? {
        guard let type else { return nil }
        switch type {
        case .string, .int, .dyn, .error: return type
        default:
            typing.diagnostics.append(Diagnostic(
                .typeSwitchOn, .error, "`switch` `on` must be a `string` or an `int`, not `\(FlowTypeNames.celName(type))`",
                at: expressionSpan(site), label: "of type `\(FlowTypeNames.celName(type))`"))
            return nil
        }
    }

    private func checkCase(_ switchCase: SwitchCase, onType: CELType?) {
        guard onType == .int, case .notAnInteger = NumberSyntax.integer(switchCase.value.value) else { return }
        typing.diagnostics.append(Diagnostic(
            .typeCaseNeverMatches, .error, "case `\(switchCase.value.value)` can never match: `on` is an `int`",
            at: switchCase.value.span, label: "not an integer"))
    }

    private func checkSet(_ action: UnsafePointer<FlowAction>, in scope: FlowScope, guards: Guards) {
        var declared: CELType?
        if let target = action.pointee.input("var"), case .literal(let scalar, let span) = target.value {
            let name = scalar.value
            if let type = typing.scope.varType(name) {
                declared = type
            } else {
                let names = typing.varTypes.map(\.name)
                let suggestion = Suggestions.closest(to: name, in: names)
                var diagnostic = Diagnostic(
                    .typeUnknownVar, .error, "`set` names var `\(name)`, which is not declared", at: span,
                    label: suggestion.map { "did you mean `\($0)`?" } ?? "not declared in `vars:`")
                if let suggestion { diagnostic = diagnostic.with(fixIt: suggestion, at: span) }
                if suggestion == nil {
                    diagnostic = diagnostic.with(note: names.isEmpty ? "this flow declares no vars" : "declared vars: " + names.map { "`\($0)`" }.joined(separator: ", "))
                }
                typing.diagnostics.append(diagnostic)
            }
        }
        for input in action.pointee.inputs where input.name != "var" {
            let type = valueType(input.value, what: input.name, expected: nil, in: scope, guards: guards)
            guard input.name == "value", let declared, !type.isErrorType, !declared.accepts(type) else { continue }
            // Numbers do not convert implicitly; an int var keeps ints.
            typing.diagnostics.append(Diagnostic(
                .typeSetMismatch, .error,
                "`set` gives var `\(Self.literalName(action.pointee.input("var")))` a value of type `\(FlowTypeNames.celName(type))`, but it is declared `\(FlowTypeNames.celName(declared))`",
                at: input.value.span.isEmpty ? action.pointee.span : valueSpan(input.value), label: "of type `\(FlowTypeNames.celName(type))`"))
        }
    }

    private static func literalName(_ argument: FlowArgument?) -> String {
        if case .literal(let scalar, _)? = argument?.value { return scalar.value }
        return "?"
    }

    private func valueSpan(_ value: FlowValue) -> SourceSpan {
        if case .expression(let site) = value { return expressionSpan(site) }
        return value.span
    }

    // MARK: - run_after

    /// An action whose `run_after` waits only for statuses its target can never end in.
    private func checkRunAfter() {
        guard let graph = flow.pointee.actionGraph else { return }
        for action in waitingActions {
            let runAfter = action.runAfter
            for entry in runAfter.entries {
                // Every action that can run may end `succeeded`, `failed` or `skipped`.
                if entry.statuses.contains(where: { Self.alwaysPossible.contains($0.value) }),
                   let targetIndex = graph.index(of: entry.target.value), !constantFalse.contains(targetIndex) {
                    continue
                }
                guard let targetIndex = graph.index(of: entry.target.value), let target = endingFacts(of: targetIndex) else { continue }
                let possible = possibleStatuses(target)
                let wanted = Set(entry.statuses.map(\.value))
                guard !wanted.isEmpty, wanted.isDisjoint(with: possible) else { continue }
                typing.diagnostics.append(Diagnostic(
                    .typeNeverRuns, .warning, "action `\(action.displayName)` can never run", at: entry.target.span,
                    label: "`\(entry.target.value)` never ends " + wanted.sorted().map { "`\($0)`" }.joined(separator: " or "))
                    .with(note: "`\(entry.target.value)` can only end " + possible.sorted().map { "`\($0)`" }.joined(separator: ", ")))
            }
        }
    }

    private static let alwaysPossible = ["succeeded", "failed", "skipped"]

    private func possibleStatuses(_ action: EndingFacts) -> Set<String> {
        if constantFalse.contains(action.index) { return ["skipped"] }
        var statuses: Set<String> = ["succeeded", "failed", "skipped"]
        var hasTimeout = action.hasTimeout
        if case .action(let type) = action.kind, catalogPointer.pointee.action(type)?.timeout != nil { hasTimeout = true }
        if hasTimeout { statuses.insert("timed_out") }
        return statuses
    }

    // MARK: - Values and sites

    /// Checks every expression in a value whose type nobody reads, as ``valueType(_:what:expected:in:guards:)``
    /// does, in the same order: without typing literals and joining element types, which
    /// cost more than the checks of the inputs of most actions (measured).
    private func checkExpressions(in value: FlowValue, what: @autoclosure () -> String, in scope: FlowScope, guards: Guards) {
        switch value {
        case .null, .literal:
            return
        case .expression(let site):
            checkSite(site, what: what(), in: scope, guards: guards)
        case .list(let items, _):
            for (offset, item) in items.enumerated() {
                checkExpressions(in: item, what: "\(what())[\(offset)]", in: scope, guards: guards)
            }
        case .map(let entries, _):
            for entry in entries {
                checkExpressions(in: entry.value, what: "\(what()).\(entry.key.value)", in: scope, guards: guards)
            }
        }
    }

    /// The type of a value (literal, expression, list, map), checking every expression in it.
    private func valueType(_ value: FlowValue, what: @autoclosure () -> String, expected: CELType?, in scope: FlowScope, guards: Guards) -> CELType {
        switch value {
        case .null:
            return .null
        case .literal(let scalar, _):
            return Self.literalType(scalar)
        case .expression(let site):
            return checkSite(site, what: what(), in: scope, guards: guards) ?? .error
        case .list(let items, _):
            let types = items.enumerated().map { valueType($0.element, what: "\(what())[\($0.offset)]", expected: nil, in: scope, guards: guards) }
            return .list(Self.join(types))
        case .map(let entries, _):
            let types = entries.map { valueType($0.value, what: "\(what()).\($0.key.value)", expected: nil, in: scope, guards: guards) }
            return .map(.string, Self.join(types))
        }
    }

    /// `FlowLiteral(scalar).celType` without reading numbers that cannot be there: most
    /// literals are words, and parsing each as a number showed up in profiles of lint.
    private static func literalType(_ scalar: YAMLScalar) -> CELType {
        // Quoted text is a string; plain text is a number only if it starts like one.
        if scalar.style != .plain { return .string }
        let text = scalar.value
        if let first = text.utf8.first, !Self.startsNumber(first), text != "true", text != "false", !scalar.isNull {
            return .string
        }
        return FlowLiteral(scalar).celType
    }

    /// A sign, a digit or a dot: how every text that `NumberSyntax` accepts begins.
    private static func startsNumber(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func join(_ types: [CELType]) -> CELType {
        guard let first = types.first(where: { !$0.isErrorType }) else { return .dyn }
        return types.allSatisfy { $0.isErrorType || $0 == first } ? first : .dyn
    }

    struct Facts {
        var positive = Guards()
        var negative = Guards()
        /// The value of a condition that reads nothing.
        var constant: Bool?
    }

    /// A condition: must be `bool`; returns what it proves when true and when false.
    private func checkCondition(_ site: ExpressionSite, what: @autoclosure () -> String, in scope: FlowScope, guards: Guards) -> Facts {
        guard let index = site.parts.firstIndex(where: \.isExpression),
              let checked = checkPart(site.parts[index], index: index, of: site, in: scope, guards: guards) else { return Facts() }
        let type = checked.resultType
        switch type {
        case .bool, .dyn, .error: break
        default:
            typing.diagnostics.append(Diagnostic(
                .typeConditionNotBool, .error, "`\(what())` must be a `bool` expression, not `\(FlowTypeNames.celName(type))`",
                at: partSpan(site.parts[index], of: site), label: "of type `\(FlowTypeNames.celName(type))`")
                .with(note: "compare the value, for example `... > 0` or `... == \"succeeded\"`"))
            return Facts()
        }
        let proven = checked.facts
        var facts = Facts(positive: proven.positive, negative: proven.negative)
        if let constant = checked.constantValue {
            facts.constant = constant
            // An `if:` that is always false is reported as an action that never runs.
            if !(what() == "if" && !constant) {
                typing.diagnostics.append(Diagnostic(
                    .typeConstantCondition, .warning, "`\(what())` is always `\(constant)`", at: partSpan(site.parts[index], of: site),
                    label: "reads nothing that changes between runs"))
            }
        }
        return facts
    }

    /// Checks every part of a site; returns the site's type (a template is a string), nil on error.
    @discardableResult
    private func checkSite(_ site: ExpressionSite, what: @autoclosure () -> String, in scope: FlowScope, guards: Guards) -> CELType? {
        switch site.role {
        case .condition:
            _ = checkCondition(site, what: what(), in: scope, guards: guards)
            return .bool
        case .template:
            var valid = true
            for (index, part) in site.parts.enumerated() where part.isExpression {
                guard let checked = checkPart(part, index: index, of: site, in: scope, guards: guards) else {
                    valid = false
                    continue
                }
                let type = checked.resultType
                if !Self.isPrintable(type) {
                    valid = false
                    typing.diagnostics.append(Diagnostic(
                        .typeTemplateNotPrintable, .error,
                        "a value of type `\(FlowTypeNames.celName(type))` cannot be written into the text of `\(what())`",
                        at: partSpan(part, of: site), label: "of type `\(FlowTypeNames.celName(type))`")
                        .with(note: "templates print strings, bools, numbers, timestamps and durations; write the whole value as `${{ ... }}` to keep its type"))
                }
            }
            return valid ? .string : nil
        case .wholeValue, .bareExpression:
            guard let index = site.parts.firstIndex(where: \.isExpression),
                  let checked = checkPart(site.parts[index], index: index, of: site, in: scope, guards: guards) else { return nil }
            let type = checked.resultType
            let expected = memo.expectedType(catalogName: site.expectedType, recordName: what)
            // A printable value where text is expected is written as text, as in a template.
            let printsAsText = expected == .string && Self.isPrintable(type)
            if !Self.isListForeachItems(site), !printsAsText, !expected.accepts(type) {
                typing.diagnostics.append(Diagnostic(
                    .typeValueMismatch, .error,
                    "`\(what())` expects `\(FlowTypeNames.celName(expected))`, but the expression is of type `\(FlowTypeNames.celName(type))`",
                    at: partSpan(site.parts[index], of: site), label: "of type `\(FlowTypeNames.celName(type))`"))
                return nil
            }
            return type
        }
    }

    /// `items` is reported by its own code, with a clearer message.
    private static func isListForeachItems(_ site: ExpressionSite) -> Bool {
        site.expectedType == "list(dyn)"
    }

    private static func isPrintable(_ type: CELType) -> Bool {
        switch type {
        case .string, .bool, .int, .uint, .double, .timestamp, .duration, .dyn, .error: return true
        default: return false
        }
    }

    /// Parses and checks one expression part; diagnostics point into the YAML.
    private func checkPart(_ part: TemplatePart, index: Int, of site: ExpressionSite, in scope: FlowScope, guards: Guards) -> CheckedExpression? {
        let base = part.range.lowerBound
        let length = part.range.count
        // A function, not a closure value: nothing is allocated unless a diagnostic needs it.
        func mapping(_ range: Range<Int>) -> SourceSpan {
            let lower = min(max(0, range.lowerBound), length)
            let upper = min(max(lower, range.upperBound), length)
            return site.span(of: (base + lower)..<(base + upper))
        }
        let text = memo.text(part.text, limits: limits)
        let parsed: CELParsed
        switch text.parsed {
        case .success(let tree): parsed = tree
        case .failure(let issue):
            typing.diagnostics.append(issue.diagnostic(mapping: mapping))
            return nil
        }
        let checked = memo.checked(text, parsed: parsed, in: scope)
        if !checked.checked.issues.isEmpty {
            typing.diagnostics += checked.explainedIssues.diagnostics(mapping: mapping)
            // The reads still count: one mistake should not also make a var look unused.
            if !flow.pointee.vars.isEmpty { varReads.formUnion(checked.untypedVarReads) }
            return nil
        }
        if recordsTypes { typing.expressionTypes[ExpressionKey(site, part: index)] = checked.resultType }
        // Only an unused var needs the reads: most flows declare none.
        if !flow.pointee.vars.isEmpty { varReads.formUnion(checked.varReads) }
        for finding in checked.unguarded {
            if !guards.isEmpty, let key = finding.guardKey, guards.contains(key) { continue }
            typing.diagnostics.append(Diagnostic(
                .typeUnguardedOptional, .warning, "optional field `\(finding.path)` may be absent here", at: mapping(finding.range),
                label: "read without a `has()` guard")
                .with(note: "guard it with `has(\(finding.path))`, or read it as `\(finding.optionalForm).orValue(...)`"))
        }
        return checked
    }

    private func partSpan(_ part: TemplatePart, of site: ExpressionSite) -> SourceSpan {
        site.trimmedSpan(of: part)
    }

    private func expressionSpan(_ site: ExpressionSite) -> SourceSpan {
        guard let part = site.parts.first(where: \.isExpression) else { return site.span }
        return partSpan(part, of: site)
    }
}

extension ExpressionSite {
    /// The file span of an expression part without its surrounding blanks (`${{ x }}` → `x`).
    public func trimmedSpan(of part: TemplatePart) -> SourceSpan {
        let range = part.trimmedRange
        return span(of: (part.range.lowerBound + range.lowerBound)..<(part.range.lowerBound + range.upperBound))
    }
}

extension Array {
    /// Calls `body` with each element in place: reading a field through the pointer copies
    /// that field only, where passing the element copies all of it (copies of flow-model
    /// values showed up in profiles of lint).
    fileprivate func forEachBorrowed(_ body: (UnsafePointer<Element>) -> Void) {
        withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for position in buffer.indices { body(base + position) }
        }
    }
}

extension TemplatePart {
    /// The UTF-8 range of the text without leading and trailing blanks.
    var trimmedRange: Range<Int> {
        let bytes = Array(text.utf8)
        var lower = 0
        var upper = bytes.count
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }
        while lower < upper, isBlank(bytes[lower]) { lower += 1 }
        while upper > lower, isBlank(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// The expression text without surrounding blanks: what a compiled graph stores, so that
    /// offset 0 of the stored source is the start of its ``ExpressionSite/trimmedSpan(of:)``.
    public var trimmedText: String {
        let range = trimmedRange
        return String(decoding: Array(text.utf8)[range], as: UTF8.self)
    }
}

extension CELType {
    var isErrorType: Bool {
        if case .error = self { return true }
        return false
    }

    /// Whether a record appears anywhere in the type.
    var containsRecord: Bool {
        switch self {
        case .record: return true
        case .list(let element): return element.containsRecord
        case .map(let key, let value): return key.containsRecord || value.containsRecord
        case .type(let inner), .optional(let inner): return inner.containsRecord
        case .int, .uint, .double, .bool, .string, .bytes, .null, .timestamp, .duration, .dyn, .typeParameter, .error: return false
        }
    }
}

/// Checks expressions that do not stand in the YAML (the catalog's trigger lowering, a
/// compiled graph's expressions) in a flow's scope.
public enum CatalogExpression {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// The checked result type, or the first issue's message.
    public static func check(_ source: String, in scope: FlowScope) -> Result<CELType, Failure> {
        switch CELParser.parse(source) {
        case .failure(let issue): return .failure(Failure(message: issue.message))
        case .success(let parsed):
            let checked = scope.environment.check(parsed)
            if let issue = checked.issues.first { return .failure(Failure(message: issue.message)) }
            return .success(checked.resultType)
        }
    }
}

/// The actions an expression sees, as positions of their fields in the flow's `actions`
/// record: a bit mask when the record has at most 64 fields (nearly every flow), a list otherwise.
enum VisibleActions: Hashable {
    case mask(UInt64)
    case positions([Int])
}

/// Which actions have surely finished where each action starts, as positions of their
/// fields in a flow's `actions` record: ``ActionGraph/finished(before:)`` narrowed to the
/// ids that record declares. Computed with bit masks rather than sets and id strings,
/// because the typing pass asks for every action of every flow and the sets showed up in
/// profiles of lint.
struct ActionPositions {
    private let graph: ActionGraph?
    /// For each action index, the position of its id's field in the record, or -1.
    private let fieldPositions: [Int]
    private let fieldCount: Int

    init(graph: ActionGraph?, actions: CELRecordType, memo: TypingMemo) {
        self.graph = graph
        fieldCount = actions.fields.count
        if let graph, !actions.fields.isEmpty {
            fieldPositions = memo.fieldPositions(ids: graph.ids, actions: actions)
        } else {
            fieldPositions = []
        }
    }

    /// For each action id (by action index), the position of its field in `actions`, or -1.
    static func fieldPositions(ids: [String?], actions: CELRecordType) -> [Int] {
        ids.map { id in id.flatMap { actions.field(named: $0)?.slot } ?? -1 }
    }

    /// The actions finished when `action` starts.
    func visible(before action: Int) -> VisibleActions {
        guard let graph, fieldCount > 0, graph.ids.indices.contains(action) else { return .mask(0) }
        if graph.ids.count <= 64, fieldCount <= 64 { return .mask(mask(before: action, in: graph)) }
        return .positions(list(before: action, in: graph))
    }

    /// The positions, ascending, of `visible`.
    func positions(_ visible: VisibleActions) -> [Int] {
        switch visible {
        case .positions(let positions):
            return positions
        case .mask(var mask):
            var positions: [Int] = []
            while mask != 0 {
                positions.append(mask.trailingZeroBitCount)
                mask &= mask - 1
            }
            return positions
        }
    }

    // Both walks are those of `finished(before:)`: a dependency edge makes its target
    // finished, an enclosing edge only passes on what was finished when the control action
    // started. The order of the walk does not change what it reaches.

    private func mask(before action: Int, in graph: ActionGraph) -> UInt64 {
        let count = graph.ids.count
        // The flat arrays by index: a slice per node cost more than the walk itself.
        let starts = graph.dependencyStarts
        let targets = graph.dependencyTargets
        let parents = graph.parents
        var reached: UInt64 = 1 << UInt64(action)
        var pending = reached
        var visible: UInt64 = 0
        while pending != 0 {
            let node = pending.trailingZeroBitCount
            pending &= pending - 1
            guard node + 1 < starts.count else { continue }
            for edge in starts[node]..<starts[node + 1] {
                let next = targets[edge]
                guard next >= 0 && next < count else { continue }
                if fieldPositions[next] >= 0 { visible |= 1 << UInt64(fieldPositions[next]) }
                if reached & (1 << UInt64(next)) == 0 {
                    reached |= 1 << UInt64(next)
                    pending |= 1 << UInt64(next)
                }
            }
            let control = node < parents.count ? parents[node] : -1
            if control >= 0, control < count, reached & (1 << UInt64(control)) == 0 {
                reached |= 1 << UInt64(control)
                pending |= 1 << UInt64(control)
            }
        }
        return visible
    }

    private func list(before action: Int, in graph: ActionGraph) -> [Int] {
        let count = graph.ids.count
        var reached = [Bool](repeating: false, count: count)
        var visible = [Bool](repeating: false, count: fieldCount)
        reached[action] = true
        var queue = [action]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in graph.dependencies(of: node) where next >= 0 && next < count {
                if fieldPositions[next] >= 0 { visible[fieldPositions[next]] = true }
                if !reached[next] {
                    reached[next] = true
                    queue.append(next)
                }
            }
            let control = node < graph.parents.count ? graph.parents[node] : -1
            if control >= 0, control < count, !reached[control] {
                reached[control] = true
                queue.append(control)
            }
        }
        return visible.indices.filter { visible[$0] }
    }
}
