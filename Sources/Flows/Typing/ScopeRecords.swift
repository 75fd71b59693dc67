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

    private func locked<Result>(_ body: () -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
