import CEL
import Catalog
import Foundation

/// The names an expression of a flow can read (SPEC 4.3), as a CEL environment: `event`,
/// `trigger`, `vars`, `actions`, `env`, `secrets`, `now`, `flow`, then loop variables.
///
/// The record types come from the catalog's shared records (``ScopeRecords``) and are the
/// same objects in every narrower scope made from this one (``visible(vars:actions:)``,
/// ``adding(loopVariables:)``), so a value built with ``eventRecordType`` or ``actionTypes``
/// takes CEL's fast path for field access in any program compiled in any of these scopes.
/// Scopes that declare the same records share one environment, even across flows. Slots are
/// the same in all of them too: the eight flow names come first in a fixed order (``Slots``),
/// loop variables after.
public struct FlowScope: Sendable {
    /// The environment slot of each name.
    public struct Slots: Sendable, Hashable {
        public let event = 0
        public let trigger = 1
        public let vars = 2
        public let actions = 3
        public let env = 4
        public let secrets = 5
        public let now = 6
        public let flow = 7
        /// Loop variables by name, declared after the flow names.
        public let loopVariables: [String: Int]
    }

    /// What every scope made from one flow's scope shares (``visible(vars:actions:)``,
    /// ``adding(loopVariables:)``): a scope is then a few references, cheap to copy and keep.
    private final class FlowRecords: Sendable {
        let records: ScopeRecords
        let trigger: ScopeRecords.TriggerRecords
        var eventRecordType: CELRecordType { trigger.event }
        var eventTypeName: String? { trigger.eventTypeName }
        var triggerType: CELRecordType { trigger.trigger }
        /// Every var and every action: what ``visible(vars:actions:)`` narrows from.
        let allVarsType: CELRecordType
        let allActionsType: CELRecordType
        /// The records of each action id, first declaration first.
        let actionRecords: [(id: String, records: ScopeRecords.ActionRecords)]

        init(records: ScopeRecords, trigger: ScopeRecords.TriggerRecords, allVarsType: CELRecordType, allActionsType: CELRecordType, actionRecords: [(id: String, records: ScopeRecords.ActionRecords)]) {
            self.records = records
            self.trigger = trigger
            self.allVarsType = allVarsType
            self.allActionsType = allActionsType
            self.actionRecords = actionRecords
        }
    }

    /// Everything a scope holds, in one object: scopes are copied all along the typing walk
    /// (passed down, kept per action, returned from memos), and a copy of five references
    /// cost five retains and releases where one does now (callgrind runs of lint).
    private final class Parts: Sendable {
        let flowRecords: FlowRecords
        let shared: ScopeEnvironment
        let varsType: CELRecordType
        let actionsType: CELRecordType
        let loopVariables: [(name: String, type: CELType)]

        init(flowRecords: FlowRecords, shared: ScopeEnvironment, varsType: CELRecordType, actionsType: CELRecordType, loopVariables: [(name: String, type: CELType)]) {
            self.flowRecords = flowRecords
            self.shared = shared
            self.varsType = varsType
            self.actionsType = actionsType
            self.loopVariables = loopVariables
        }
    }

    private let parts: Parts
    private var flowRecords: FlowRecords { parts.flowRecords }
    private var shared: ScopeEnvironment { parts.shared }

    public var environment: CELEnvironment { shared.environment }
    public var slots: Slots { shared.slots }
    /// `event`: a record of the envelope and typed `data`; its `data` is `dyn` when the event
    /// type is unknown.
    public var eventType: CELType { .record(flowRecords.eventRecordType) }
    /// The record of ``eventType``.
    public var eventRecordType: CELRecordType { flowRecords.eventRecordType }
    /// The catalog event type typing `event.data`, nil when `data` is `dyn`.
    public var eventTypeName: String? { flowRecords.eventTypeName }
    /// `trigger`: the parameters (not the expression ones) and the derived fields.
    public var triggerType: CELRecordType { flowRecords.triggerType }
    /// `vars`: every declared var in order (narrower scopes see a prefix).
    public var varsType: CELRecordType { parts.varsType }
    /// `actions`: one field per action id, each of the record `actions.ID`.
    public var actionsType: CELRecordType { parts.actionsType }
    /// `actions.ID` records: `{status: string, output?: ..., error?: {code, message}, attempts: int}`.
    /// Built on each read: the typing pass never needs the table, so scopes do not keep one.
    public var actionTypes: [String: CELRecordType] {
        var table: [String: CELRecordType] = [:]
        for action in flowRecords.actionRecords { table[action.id] = action.records.record }
        return table
    }
    /// `actions.ID.output` records of the actions whose type has an output (built on each read).
    public var outputTypes: [String: CELRecordType] {
        var table: [String: CELRecordType] = [:]
        for action in flowRecords.actionRecords {
            if let output = action.records.output { table[action.id] = output }
        }
        return table
    }
    /// The `{code: string, message: string}` record of `actions.ID.error`, shared by all actions.
    public var errorType: CELRecordType { flowRecords.records.errorType }
    /// `flow`: `{name: string}`.
    public var flowType: CELRecordType { flowRecords.records.flowType }
    /// Loop variables declared here, in order.
    public var loopVariables: [(name: String, type: CELType)] { parts.loopVariables }

    /// The environment itself, shared by equal scopes: what memos of checks are keyed by.
    var sharedEnvironment: ScopeEnvironment { shared }

    /// Why a scope could not be built from plain inputs (an unknown trigger, a type that
    /// does not parse).
    public struct BuildError: Error, Sendable, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// The scope of a flow from its parts.
    /// - Parameters:
    ///   - trigger: the catalog trigger name (`segment.threshold.crossed`); an unknown one
    ///     gives a trigger record without fields and `dyn` event data.
    ///   - eventType: the catalog event type typing `event.data`; nil takes the trigger's,
    ///     and `dyn` data when it has none (the generic `event` trigger).
    ///   - vars: declared vars with their types, in order.
    ///   - actions: action ids with their catalog types (`http`, `if`, ...), in document order.
    ///   - loopVariables: names bound by enclosing `foreach` actions with their element types.
    public init(catalog: Catalog = .standard, trigger: String, eventType: String? = nil, vars: [(name: String, type: CELType)], actions: [(id: String, type: String)], loopVariables: [(name: String, type: CELType)] = []) {
        self.init(
            index: CatalogIndex.of(catalog), catalog: catalog, trigger: trigger, eventType: eventType, vars: vars,
            actions: actions.map { ActionIdentity(id: $0.id, type: $0.type) }, loopVariables: loopVariables)
    }

    /// An action id with its catalog type.
    struct ActionIdentity: Hashable {
        var id: String
        var type: String
    }

    /// The scope of a flow, for callers that hold the catalog's index already.
    init(index: CatalogIndex, catalog: Catalog, trigger: String, eventType: String?, vars: [(name: String, type: CELType)], actions: [ActionIdentity], loopVariables: [(name: String, type: CELType)] = []) {
        let records = index.records
        let catalogTrigger = index.triggers[trigger]?.trigger
        let typeName = eventType ?? catalogTrigger?.event
        let knownEvent = typeName.flatMap { index.eventsByType[$0] }
        let triggerRecords = records.triggerRecords(trigger: catalogTrigger, event: knownEvent, catalog: catalog)
        var actionRecords: [(id: String, records: ScopeRecords.ActionRecords)] = []
        actionRecords.reserveCapacity(actions.count)
        // Most flows have a handful of actions, for which a scan is cheaper than hashing each id.
        var seen: Set<String> = actions.count > 16 ? Set(minimumCapacity: actions.count) : []
        for action in actions {
            if actions.count > 16 {
                guard seen.insert(action.id).inserted else { continue }
            } else if actionRecords.contains(where: { $0.id == action.id }) {
                continue
            }
            actionRecords.append((action.id, records.actionRecords(id: action.id, type: action.type, index: index)))
        }
        let varsType = records.varsRecord(vars)
        let actionsType = records.actionsRecord(actionRecords.map { ($0.id, $0.records.record) })
        self.init(
            flowRecords: FlowRecords(
                records: records, trigger: triggerRecords, allVarsType: varsType, allActionsType: actionsType, actionRecords: actionRecords),
            varsType: varsType, actionsType: actionsType, loopVariables: loopVariables)
    }

    /// The scope from plain inputs, types written as catalog type expressions (what a
    /// compiled graph stores): `vars` as `[(name, "list(string)")]`, loop variables likewise.
    public init(catalog: Catalog = .standard, trigger: String, eventType: String?, varTypes: [(name: String, type: String)], actions: [(id: String, type: String)], loopVariableTypes: [(name: String, type: String)] = []) throws {
        func parse(_ name: String, _ text: String, recordName: String) throws -> (name: String, type: CELType) {
            do {
                return (name, CELBridge.type(try CatalogType.parse(text), name: recordName))
            } catch {
                throw BuildError(description: "the type `\(text)` of `\(name)` does not parse: \(error)")
            }
        }
        let vars = try varTypes.map { try parse($0.name, $0.type, recordName: "vars.\($0.name)") }
        let loops = try loopVariableTypes.map { try parse($0.name, $0.type, recordName: $0.name) }
        self.init(catalog: catalog, trigger: trigger, eventType: eventType, vars: vars, actions: actions, loopVariables: loops)
    }

    private init(flowRecords: FlowRecords, varsType: CELRecordType, actionsType: CELRecordType, loopVariables: [(name: String, type: CELType)]) {
        let shared = flowRecords.records.environment(
            event: flowRecords.eventRecordType, trigger: flowRecords.triggerType, vars: varsType, actions: actionsType,
            loopVariables: loopVariables)
        parts = Parts(flowRecords: flowRecords, shared: shared, varsType: varsType, actionsType: actionsType, loopVariables: loopVariables)
    }

    /// The same scope with more loop variables (an inner `foreach`); a name already bound is
    /// shadowed by the new one.
    public func adding(loopVariables more: [(name: String, type: CELType)]) -> FlowScope {
        let kept = loopVariables.filter { old in !more.contains { $0.name == old.name } }
        return FlowScope(flowRecords: flowRecords, varsType: varsType, actionsType: actionsType, loopVariables: kept + more)
    }

    /// A narrower scope for checking: only the first `vars` vars (nil: all) and only the
    /// listed actions (nil: all), always chosen from the flow's complete lists. Field types
    /// stay the same objects.
    public func visible(vars count: Int? = nil, actions ids: [String]? = nil) -> FlowScope {
        let allVarsType = flowRecords.allVarsType
        let allActionsType = flowRecords.allActionsType
        var narrowedVars = allVarsType
        if let count, count < allVarsType.fields.count {
            narrowedVars = flowRecords.records.varsRecord(allVarsType.fields.prefix(max(0, count)).map { ($0.name, $0.type) })
        }
        var narrowedActions = allActionsType
        if let ids {
            let kept: [CELRecordType.Field]
            if ids.count <= 16 {
                kept = allActionsType.fields.filter { ids.contains($0.name) }
            } else {
                let wanted = Set(ids)
                kept = allActionsType.fields.filter { wanted.contains($0.name) }
            }
            // All of them: the complete record serves, and nothing is built.
            if kept.count != allActionsType.fields.count {
                narrowedActions = Self.actionsRecord(kept, records: flowRecords.records)
            }
        }
        return narrowed(vars: narrowedVars, actions: narrowedActions)
    }

    /// The scope seeing the actions at `positions` (ascending) of the flow's complete
    /// `actions` record, and all vars: what the typing pass asks for each action.
    func visible(actionPositions positions: [Int]) -> FlowScope {
        let allActionsType = flowRecords.allActionsType
        var narrowedActions = allActionsType
        if positions.count != allActionsType.fields.count {
            narrowedActions = Self.actionsRecord(positions.map { allActionsType.fields[$0] }, records: flowRecords.records)
        }
        return narrowed(vars: flowRecords.allVarsType, actions: narrowedActions)
    }

    /// The flow's complete `actions` record, which ``visible(actionPositions:)`` positions index.
    var allActionsType: CELRecordType { flowRecords.allActionsType }

    private func narrowed(vars: CELRecordType, actions: CELRecordType) -> FlowScope {
        if vars === varsType, actions === actionsType { return self }
        return FlowScope(flowRecords: flowRecords, varsType: vars, actionsType: actions, loopVariables: loopVariables)
    }

    /// What identifies the records this scope was made from: scopes made from equal parts
    /// by one memo share them, so the typing pass keys narrower scopes by it.
    var recordsIdentity: ObjectIdentifier { ObjectIdentifier(flowRecords) }

    /// The object ``recordsIdentity`` identifies, for memos that must keep it alive.
    var recordsAnchor: AnyObject { flowRecords }

    /// The shared records ``replacing(varsType:keepingActions:)`` takes.
    var scopeRecords: ScopeRecords { flowRecords.records }

    /// The same trigger and event with the vars of `varsType` (from ``ScopeRecords/varsRecord(_:)``),
    /// the same actions or none, and no loop variables: the scopes of the typing pass, which
    /// learns the vars' types one by one. Equal to a scope built from the same parts, without
    /// looking the parts up again.
    func replacing(varsType: CELRecordType, keepingActions: Bool) -> FlowScope {
        let records = flowRecords.records
        let actionsType = keepingActions ? flowRecords.allActionsType : records.noActions
        let replaced = FlowRecords(
            records: records, trigger: flowRecords.trigger, allVarsType: varsType, allActionsType: actionsType,
            actionRecords: keepingActions ? flowRecords.actionRecords : [])
        return FlowScope(flowRecords: replaced, varsType: varsType, actionsType: actionsType, loopVariables: [])
    }

    /// The shared `actions` record of `fields` when each is an action record, as the fields
    /// of a scope's `actions` are; a record of its own otherwise.
    private static func actionsRecord(_ fields: [CELRecordType.Field], records: ScopeRecords) -> CELRecordType {
        var shared: [(id: String, record: CELRecordType)] = []
        shared.reserveCapacity(fields.count)
        for field in fields {
            guard case .record(let record) = field.type, !field.optional else {
                return CELRecordType(name: "actions", fields: fields.map { ($0.name, $0.type, $0.optional) })
            }
            shared.append((field.name, record))
        }
        return records.actionsRecord(shared)
    }

    /// The type of a var, or nil when it is not declared.
    public func varType(_ name: String) -> CELType? { varsType.field(named: name)?.type }

    /// Envelope attributes with `data: dyn`, for events the catalog does not know.
    static func untypedEventRecord(catalog: Catalog) -> CELRecordType {
        var fields: [(name: String, type: CELType, optional: Bool)] = []
        for field in catalog.envelope {
            let type = (try? CatalogType.parse(field.type)).map { CELBridge.type($0, name: "event.\(field.name)") } ?? .dyn
            fields.append((field.name, type, field.optional))
        }
        fields.append(("data", .dyn, false))
        return CELRecordType(name: "event", fields: fields)
    }

    /// Parameters (value ones; expression parameters like `filter` are not values) and
    /// derived fields; a derived field replaces a parameter of the same name (`direction`).
    static func triggerRecord(_ trigger: Trigger?, catalog: Catalog) -> CELRecordType {
        guard let trigger else { return CELRecordType(name: "trigger", fields: []) }
        var fields: [(name: String, type: CELType, optional: Bool)] = []
        func add(_ name: String, _ typeText: String) {
            let type = (try? CatalogType.parse(typeText)).map { CELBridge.type($0, name: "trigger.\(name)") } ?? .dyn
            if let existing = fields.firstIndex(where: { $0.name == name }) {
                fields[existing] = (name, type, false)
            } else {
                fields.append((name, type, false))
            }
        }
        for parameter in trigger.parameters where parameter.kind != "expression" {
            add(parameter.name, parameter.type)
        }
        for derived in trigger.derived {
            add(derived.name, derived.type)
        }
        return CELRecordType(name: "trigger", fields: fields)
    }
}
