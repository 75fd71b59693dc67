import CEL
import Catalog
import Foundation

/// The names an expression of a flow can read (SPEC 4.3), as a CEL environment: `event`,
/// `trigger`, `vars`, `actions`, `env`, `secrets`, `now`, `flow`, then loop variables.
///
/// The record types are built once per flow and shared by every narrower scope made from it
/// (``visible(vars:actions:)``, ``adding(loopVariables:)``), so a value built with
/// ``eventRecordType`` or ``actionTypes`` takes CEL's fast path for field access in any
/// program compiled in any of these scopes. Slots are the same in all of them too: the eight
/// flow names come first in a fixed order (``Slots``), loop variables after.
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

    public let environment: CELEnvironment
    public let slots: Slots
    /// `event`: a record of the envelope and typed `data`; its `data` is `dyn` when the event
    /// type is unknown.
    public let eventType: CELType
    /// The record of ``eventType``.
    public let eventRecordType: CELRecordType
    /// The catalog event type typing `event.data`, nil when `data` is `dyn`.
    public let eventTypeName: String?
    /// `trigger`: the parameters (not the expression ones) and the derived fields.
    public let triggerType: CELRecordType
    /// `vars`: every declared var in order (narrower scopes see a prefix).
    public let varsType: CELRecordType
    /// `actions`: one field per action id, each of the record `actions.ID`.
    public let actionsType: CELRecordType
    /// `actions.ID` records: `{status: string, output?: ..., error?: {code, message}, attempts: int}`.
    public let actionTypes: [String: CELRecordType]
    /// `actions.ID.output` records of the actions whose type has an output.
    public let outputTypes: [String: CELRecordType]
    /// The `{code: string, message: string}` record of `actions.ID.error`, shared by all actions.
    public let errorType: CELRecordType
    /// Every var and every action: what ``visible(vars:actions:)`` narrows from.
    private let allVarsType: CELRecordType
    private let allActionsType: CELRecordType
    /// `flow`: `{name: string}`.
    public let flowType: CELRecordType
    /// Where the shared record types come from.
    private let records: ScopeRecords
    /// Loop variables declared here, in order.
    public let loopVariables: [(name: String, type: CELType)]

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
        let index = CatalogIndex.of(catalog)
        let records = index.records
        let catalogTrigger = index.triggers[trigger]?.trigger
        let typeName = eventType ?? catalogTrigger?.event
        let knownEvent = typeName.flatMap { index.eventsByType[$0] }
        let shared = records.triggerRecords(trigger: catalogTrigger, event: knownEvent, catalog: catalog)
        eventRecordType = shared.event
        eventTypeName = shared.eventTypeName
        self.eventType = .record(eventRecordType)
        triggerType = shared.trigger
        varsType = vars.isEmpty ? records.noVars : CELRecordType(name: "vars", fields: vars.map { ($0.name, $0.type, false) })
        errorType = records.errorType
        var actionTypes: [String: CELRecordType] = [:]
        var outputTypes: [String: CELRecordType] = [:]
        var actionFields: [(id: String, record: CELRecordType)] = []
        actionFields.reserveCapacity(actions.count)
        for (id, type) in actions where actionTypes[id] == nil {
            let action = records.actionRecords(id: id, type: type, index: index)
            actionTypes[id] = action.record
            if let output = action.output { outputTypes[id] = output }
            actionFields.append((id, action.record))
        }
        self.actionTypes = actionTypes
        self.outputTypes = outputTypes
        self.records = records
        actionsType = records.actionsRecord(actionFields)
        allVarsType = varsType
        allActionsType = actionsType
        flowType = records.flowType
        self.loopVariables = loopVariables
        (environment, slots) = Self.makeEnvironment(
            event: self.eventType, trigger: triggerType, vars: varsType, actions: actionsType, flow: flowType, loopVariables: loopVariables)
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

    private init(copying scope: FlowScope, varsType: CELRecordType, actionsType: CELRecordType, loopVariables: [(name: String, type: CELType)]) {
        records = scope.records
        eventType = scope.eventType
        eventRecordType = scope.eventRecordType
        eventTypeName = scope.eventTypeName
        triggerType = scope.triggerType
        self.varsType = varsType
        self.actionsType = actionsType
        allVarsType = scope.allVarsType
        allActionsType = scope.allActionsType
        actionTypes = scope.actionTypes
        outputTypes = scope.outputTypes
        errorType = scope.errorType
        flowType = scope.flowType
        self.loopVariables = loopVariables
        (environment, slots) = Self.makeEnvironment(
            event: eventType, trigger: triggerType, vars: varsType, actions: actionsType, flow: flowType, loopVariables: loopVariables)
    }

    /// The same scope with more loop variables (an inner `foreach`); a name already bound is
    /// shadowed by the new one.
    public func adding(loopVariables more: [(name: String, type: CELType)]) -> FlowScope {
        let kept = loopVariables.filter { old in !more.contains { $0.name == old.name } }
        return FlowScope(copying: self, varsType: varsType, actionsType: actionsType, loopVariables: kept + more)
    }

    /// A narrower scope for checking: only the first `vars` vars (nil: all) and only the
    /// listed actions (nil: all), always chosen from the flow's complete lists. Field types
    /// stay the same objects.
    public func visible(vars count: Int? = nil, actions ids: [String]? = nil) -> FlowScope {
        var narrowedVars = allVarsType
        if let count, count < allVarsType.fields.count {
            narrowedVars = CELRecordType(name: "vars", fields: allVarsType.fields.prefix(max(0, count)).map { ($0.name, $0.type, $0.optional) })
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
                narrowedActions = Self.actionsRecord(kept, records: records)
            }
        }
        if narrowedVars === varsType, narrowedActions === actionsType { return self }
        return FlowScope(copying: self, varsType: narrowedVars, actionsType: narrowedActions, loopVariables: loopVariables)
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

    private static func makeEnvironment(event: CELType, trigger: CELRecordType, vars: CELRecordType, actions: CELRecordType, flow: CELRecordType, loopVariables: [(name: String, type: CELType)]) -> (CELEnvironment, Slots) {
        var environment = CELEnvironment()
        environment.reserveCapacity(8 + loopVariables.count)
        environment.declare("event", type: event)
        environment.declare("trigger", type: .record(trigger))
        environment.declare("vars", type: .record(vars))
        environment.declare("actions", type: .record(actions))
        environment.declare("env", type: .map(.string, .string))
        environment.declare("secrets", type: .map(.string, .string))
        environment.declare("now", type: .timestamp)
        environment.declare("flow", type: .record(flow))
        var loopSlots: [String: Int] = [:]
        for variable in loopVariables {
            loopSlots[variable.name] = environment.declare(variable.name, type: variable.type)
        }
        return (environment, Slots(loopVariables: loopSlots))
    }

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
