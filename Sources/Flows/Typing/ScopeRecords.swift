import CEL
import Catalog
import Foundation

/// The record types of one catalog that scopes share: the `event` and `trigger` records of
/// each trigger, the `actions.ID` record of each (id, action type), and the fixed records
/// (`actions.ID.error`, `flow`, empty `vars` and `actions`). A lint builds several scopes per
/// flow; building these records from type text each time was most of the cost of typing.
///
/// Sharing is safe because record types are immutable and compare by identity: two scopes
/// that agree on a name and a catalog definition get the same object, which also lets values
/// built for one scope take CEL's fast field path in programs compiled in another.
final class ScopeRecords: @unchecked Sendable {
    struct TriggerRecords: Sendable {
        var event: CELRecordType
        var eventTypeName: String?
        var trigger: CELRecordType
    }

    struct ActionRecords: Sendable {
        var record: CELRecordType
        var output: CELRecordType?
    }

    private struct TriggerKey: Hashable {
        var trigger: String?
        var event: String?
    }

    private struct ActionKey: Hashable {
        var id: String
        var type: String
    }

    private struct VarKey: Hashable {
        var name: String
        var type: CELType
    }

    /// Everything an environment declares: the flow names' records and the loop variables.
    /// Records hash and compare by identity, so building a key costs no walk of their fields.
    private struct EnvironmentKey: Hashable {
        var event: CELRecordType
        var trigger: CELRecordType
        var vars: CELRecordType
        var actions: CELRecordType
        var loopVariables: [VarKey]
    }

    private struct RoundTripKey: Hashable {
        var catalogName: String
        var recordName: String
    }

    /// `{code: string, message: string}`, the record of every `actions.ID.error`.
    let errorType = CELRecordType(name: "actions.error", fields: [("code", .string, false), ("message", .string, false)])
    let flowType = CELRecordType(name: "flow", fields: [("name", .string, false)])
    let noVars = CELRecordType(name: "vars", fields: [])
    let noActions = CELRecordType(name: "actions", fields: [])

    private let lock = NSLock()
    private var triggers: [TriggerKey: TriggerRecords] = [:]
    private var actions: [ActionKey: ActionRecords] = [:]
    /// `actions` records by their fields' records: flows with the same action ids and types
    /// (and narrower scopes that see the same actions) share one, so that checking an
    /// expression in one of them can stand for checking it in the others.
    private var actionLists: [[CELRecordType]: CELRecordType] = [:]
    /// `vars` records by their names and types: flows that declare the same vars share one.
    private var varLists: [[VarKey]: CELRecordType] = [:]
    /// Environments by what they declare; see ``environment(event:trigger:vars:actions:loopVariables:)``.
    private var environments: [EnvironmentKey: ScopeEnvironment] = [:]
    /// Types as read back from their catalog names, so that equal var and loop element types
    /// of different flows are the same record objects.
    private var roundTrips: [RoundTripKey: CELType] = [:]
    /// Action ids are the user's words: the table is bounded so a long-lived process that
    /// checks many repositories does not grow without end.
    private static let maxActionEntries = 8_192

    /// The records of `trigger` (nil: unknown) reading events of type `event` (nil: `dyn` data).
    /// Both must be the catalog's own definitions, found by name.
    func triggerRecords(trigger: Trigger?, event: EventType?, catalog: Catalog) -> TriggerRecords {
        let key = TriggerKey(trigger: trigger?.name, event: event?.type)
        if let known = locked({ triggers[key] }) { return known }
        let built: TriggerRecords
        if let event, case .record(let record)? = CELBridge.eventRecordType(event, catalog: catalog) {
            built = TriggerRecords(event: record, eventTypeName: event.type, trigger: FlowScope.triggerRecord(trigger, catalog: catalog))
        } else {
            built = TriggerRecords(
                event: FlowScope.untypedEventRecord(catalog: catalog), eventTypeName: nil,
                trigger: FlowScope.triggerRecord(trigger, catalog: catalog))
        }
        return locked {
            if let raced = triggers[key] { return raced }
            triggers[key] = built
            return built
        }
    }

    /// `actions.ID`: `{status: string, output?: ..., error?: {code, message}, attempts: int}`,
    /// with `output` only for action types that have one.
    func actionRecords(id: String, type: String, index: CatalogIndex) -> ActionRecords {
        let key = ActionKey(id: id, type: type)
        if let known = locked({ actions[key] }) { return known }
        var fields: [(name: String, type: CELType, optional: Bool)] = [("status", .string, false)]
        var outputRecord: CELRecordType?
        if let output = index.actions[type]?.action.output, !output.isEmpty,
           let outputType = try? CatalogType.record(output),
           case .record(let record) = CELBridge.type(outputType, name: "actions.\(id).output") {
            outputRecord = record
            fields.append(("output", .record(record), true))
        }
        fields.append(("error", .record(errorType), true))
        fields.append(("attempts", .int, false))
        let built = ActionRecords(record: CELRecordType(name: "actions.\(id)", fields: fields), output: outputRecord)
        return locked {
            if let raced = actions[key] { return raced }
            if actions.count >= Self.maxActionEntries { actions.removeAll() }
            actions[key] = built
            return built
        }
    }

    /// The `actions` record with one field per action record, named by its id, in order.
    func actionsRecord(_ fields: [(id: String, record: CELRecordType)]) -> CELRecordType {
        if fields.isEmpty { return noActions }
        let key = fields.map(\.record)
        if let known = locked({ actionLists[key] }) { return known }
        let built = CELRecordType(name: "actions", fields: fields.map { ($0.id, .record($0.record), false) })
        return locked {
            if let raced = actionLists[key] { return raced }
            if actionLists.count >= Self.maxActionEntries { actionLists.removeAll() }
            actionLists[key] = built
            return built
        }
    }

    /// The `vars` record declaring `vars` in order.
    func varsRecord(_ vars: [(name: String, type: CELType)]) -> CELRecordType {
        if vars.isEmpty { return noVars }
        let key = vars.map { VarKey(name: $0.name, type: $0.type) }
        if let known = locked({ varLists[key] }) { return known }
        let built = CELRecordType(name: "vars", fields: vars.map { ($0.name, $0.type, false) })
        return locked {
            if let raced = varLists[key] { return raced }
            if varLists.count >= Self.maxActionEntries { varLists.removeAll() }
            varLists[key] = built
            return built
        }
    }

    /// The one environment declaring the flow names with these records, then the loop
    /// variables. Scopes of different flows that see the same records share it, which is
    /// what lets a memo keyed by the environment's identity serve a whole lint.
    func environment(event: CELRecordType, trigger: CELRecordType, vars: CELRecordType, actions: CELRecordType, loopVariables: [(name: String, type: CELType)]) -> ScopeEnvironment {
        let key = EnvironmentKey(
            event: event, trigger: trigger, vars: vars, actions: actions,
            loopVariables: loopVariables.isEmpty ? [] : loopVariables.map { VarKey(name: $0.name, type: $0.type) })
        if let known = locked({ environments[key] }) { return known }
        let built = ScopeEnvironment(event: event, trigger: trigger, vars: vars, actions: actions, flow: flowType, loopVariables: loopVariables)
        return locked {
            if let raced = environments[key] { return raced }
            if environments.count >= Self.maxActionEntries { environments.removeAll() }
            environments[key] = built
            return built
        }
    }

    /// ``FlowTypeNames/roundTripped(_:recordName:)``, once per catalog name and record name.
    func roundTripped(_ type: CELType, recordName: String) -> CELType {
        let key = RoundTripKey(catalogName: FlowTypeNames.catalogName(type), recordName: recordName)
        if let known = locked({ roundTrips[key] }) { return known }
        let built = FlowTypeNames.roundTripped(catalogName: key.catalogName, recordName: recordName)
        return locked {
            if let raced = roundTrips[key] { return raced }
            if roundTrips.count >= Self.maxActionEntries { roundTrips.removeAll() }
            roundTrips[key] = built
            return built
        }
    }

    private func locked<Result>(_ body: () -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

/// A CEL environment declaring a flow's names, shared by every scope that declares the same
/// ones (``ScopeRecords/environment(event:trigger:vars:actions:loopVariables:)``): the eight
/// flow names first in a fixed order (``FlowScope/Slots``), loop variables after.
final class ScopeEnvironment: Sendable {
    let environment: CELEnvironment
    let slots: FlowScope.Slots

    init(event: CELRecordType, trigger: CELRecordType, vars: CELRecordType, actions: CELRecordType, flow: CELRecordType, loopVariables: [(name: String, type: CELType)]) {
        var environment = CELEnvironment()
        environment.reserveCapacity(8 + loopVariables.count)
        environment.declare("event", type: .record(event))
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
        self.environment = environment
        slots = FlowScope.Slots(loopVariables: loopSlots)
    }
}
