import Catalog
import Foundation
import Testing

@Suite struct StandardCatalogTests {
    let catalog = Catalog.standard

    @Test func embeddedCatalogDecodesAndValidates() throws {
        #expect(catalog.version == 1)
        try catalog.validate()
    }

    @Test func counts() {
        #expect(catalog.events.count == 5)
        #expect(catalog.triggers.count == 7)
        #expect(catalog.actions.count == 5)
        #expect(catalog.controls.count == 6)
    }

    @Test func namesAreTheOnesTheLanguageDocuments() {
        #expect(Set(catalog.events.map(\.type)) == [
            "datasource.refresh", "unification.refresh", "segment.refresh", "measure.refresh", "system.refresh",
        ])
        #expect(Set(catalog.triggers.map(\.name)) == [
            "datasource.refresh.failed", "datasource.refresh.succeeded", "segment.threshold.crossed",
            "measure.threshold.crossed", "refresh.completed", "unification.completed", "event",
        ])
        #expect(catalog.actions.map(\.name) == ["http", "emit", "log", "set", "fail"])
        #expect(catalog.controls.map(\.name) == ["if", "switch", "foreach", "parallel", "scope", "terminate"])
        #expect(Set(catalog.flowKeys.map(\.name)) == [
            "flow", "description", "enabled", "concurrency", "trigger", "conditions", "vars", "actions",
        ])
        #expect(Set(catalog.actionKeys.map(\.name)) == [
            "id", "type", "with", "if", "run_after", "retry", "timeout", "description",
        ])
    }

    @Test func everyTypeExpressionParses() throws {
        var types: [(String, String)] = []
        types += catalog.envelope.map { ("envelope.\($0.name)", $0.type) }
        for event in catalog.events { types += event.fields.map { ("\(event.type).\($0.name)", $0.type) } }
        for trigger in catalog.triggers {
            types += trigger.parameters.map { ("\(trigger.name).\($0.name)", $0.type) }
            types += trigger.derived.map { ("\(trigger.name) derived \($0.name)", $0.type) }
            if let valueType = trigger.lowering.valueType { types.append(("\(trigger.name) valueType", valueType)) }
        }
        for action in catalog.actions {
            types += action.inputs.map { ("\(action.name).\($0.name)", $0.type) }
            types += action.output.map { ("\(action.name) output \($0.name)", $0.type) }
        }
        for control in catalog.controls { types += control.keys.map { ("\(control.name).\($0.name)", $0.type) } }
        types += catalog.actionKeys.map { ("action key \($0.name)", $0.type) }
        types += catalog.flowKeys.map { ("flow key \($0.name)", $0.type) }
        for (context, text) in types {
            #expect(throws: Never.self, "\(context): `\(text)`") { _ = try CatalogType.parse(text) }
        }
    }

    @Test func everyTriggerListensToAKnownEvent() {
        for trigger in catalog.triggers {
            if let event = trigger.event {
                #expect(catalog.event(event) != nil, "\(trigger.name) listens to \(event)")
            } else {
                #expect(trigger.name == "event", "only the generic trigger listens to every type")
            }
        }
    }

    @Test func everyEntryIsDescribed() {
        var missing: [String] = []
        for field in catalog.envelope where field.description.isEmpty { missing.append("envelope.\(field.name)") }
        for event in catalog.events {
            if event.description.isEmpty { missing.append(event.type) }
            for field in event.fields where field.description.isEmpty { missing.append("\(event.type).\(field.name)") }
        }
        for trigger in catalog.triggers {
            if trigger.description.isEmpty { missing.append(trigger.name) }
            for parameter in trigger.parameters where parameter.description.isEmpty {
                missing.append("\(trigger.name).\(parameter.name)")
            }
            for field in trigger.derived where field.description.isEmpty { missing.append("\(trigger.name).\(field.name)") }
        }
        for action in catalog.actions {
            if action.description.isEmpty { missing.append(action.name) }
            for input in action.inputs where input.description.isEmpty { missing.append("\(action.name).\(input.name)") }
            for field in action.output where field.description.isEmpty { missing.append("\(action.name).\(field.name)") }
        }
        for control in catalog.controls {
            if control.description.isEmpty { missing.append(control.name) }
            for key in control.keys where key.description.isEmpty { missing.append("\(control.name).\(key.name)") }
        }
        for key in catalog.actionKeys + catalog.flowKeys where key.description.isEmpty { missing.append(key.name) }
        #expect(missing.isEmpty, "without a description: \(missing)")
    }

    @Test func namesAreUniqueWithinEachList() {
        func duplicates(_ names: [String]) -> [String] {
            Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        }
        #expect(duplicates(catalog.events.map(\.type)).isEmpty)
        #expect(duplicates(catalog.triggers.map(\.name)).isEmpty)
        #expect(duplicates(catalog.actionTypeNames).isEmpty)
        #expect(duplicates(catalog.actionKeys.map(\.name)).isEmpty)
        #expect(duplicates(catalog.flowKeys.map(\.name)).isEmpty)
        #expect(duplicates(catalog.envelope.map(\.name)).isEmpty)
        for event in catalog.events { #expect(duplicates(event.fields.map(\.name)).isEmpty, "\(event.type)") }
        for trigger in catalog.triggers {
            #expect(duplicates(trigger.parameters.map(\.name)).isEmpty, "\(trigger.name)")
            #expect(duplicates(trigger.derived.map(\.name)).isEmpty, "\(trigger.name)")
        }
        for action in catalog.actions { #expect(duplicates(action.inputs.map(\.name)).isEmpty, "\(action.name)") }
        for control in catalog.controls { #expect(duplicates(control.keys.map(\.name)).isEmpty, "\(control.name)") }
    }

    @Test func parameterKindsAreKnown() {
        let known: Set = [
            "literal", "expression", "template", "actions", "cases", "branches", "statuses", "name",
            "inputs", "retry", "trigger", "conditions", "vars",
        ]
        let all = catalog.triggers.flatMap(\.parameters) + catalog.actions.flatMap(\.inputs)
            + catalog.controls.flatMap(\.keys) + catalog.actionKeys + catalog.flowKeys
        for parameter in all { #expect(known.contains(parameter.kind), "\(parameter.name): kind \(parameter.kind)") }
    }

    /// A scalar default must be one of the listed values, or the catalog contradicts itself.
    @Test func scalarDefaultsAreAllowedValues() {
        let all = catalog.triggers.flatMap(\.parameters) + catalog.actions.flatMap(\.inputs)
            + catalog.controls.flatMap(\.keys) + catalog.flowKeys
        for parameter in all {
            guard let values = parameter.values, let value = parameter.defaultValue, !value.hasPrefix("[") else { continue }
            #expect(values.contains(value), "\(parameter.name): default \(value) is not in \(values)")
            #expect(!parameter.required, "\(parameter.name) has a default, so it cannot be required")
        }
    }

    @Test func loweringsAreComplete() {
        for trigger in catalog.triggers {
            let lowering = trigger.lowering
            switch lowering.kind {
            case "match" where trigger.event == nil:
                #expect(trigger.parameters.contains { $0.name == lowering.eventTypeParameter }, "\(trigger.name)")
                #expect(trigger.parameters.contains { $0.name == lowering.filterParameter }, "\(trigger.name)")
            case "match":
                #expect(lowering.filter?.isEmpty == false, "\(trigger.name) needs a filter")
            case "threshold":
                #expect(lowering.filter != nil && lowering.key != nil && lowering.value != nil, "\(trigger.name)")
                #expect(["int", "double"].contains(lowering.valueType ?? ""), "\(trigger.name)")
                // The threshold engine reads these parameters by name.
                #expect(trigger.parameters.contains { $0.name == "threshold" && $0.required }, "\(trigger.name)")
                #expect(trigger.parameters.contains { $0.name == "direction" }, "\(trigger.name)")
                let derived = Dictionary(uniqueKeysWithValues: trigger.derived.map { ($0.name, $0.type) })
                #expect(derived["previous"] == lowering.valueType && derived["current"] == lowering.valueType)
                #expect(derived["direction"] == "string" && derived["key"] == "string")
            default:
                Issue.record("\(trigger.name): unknown lowering kind \(lowering.kind)")
            }
        }
    }

    /// Filters may only name parameters the trigger has (or its derived values), and event data
    /// fields its event type has. A cheap textual check; the CEL checker does the real one.
    @Test func loweringFiltersReferToExistingNames() throws {
        let triggerField = try Regex(#"trigger\.([A-Za-z_][A-Za-z0-9_]*)"#)
        let dataField = try Regex(#"event\.data\.([A-Za-z_][A-Za-z0-9_]*)"#)
        for trigger in catalog.triggers {
            guard let eventType = trigger.event, let event = catalog.event(eventType) else { continue }
            let parameters = Set(trigger.parameters.map(\.name))
            let fields = Set(event.fields.map(\.name))
            let texts = [trigger.lowering.filter, trigger.lowering.key, trigger.lowering.value].compactMap { $0 }
            for text in texts {
                for match in text.matches(of: triggerField) {
                    let name = String(text[match.output[1].range ?? match.range])
                    #expect(parameters.contains(name), "\(trigger.name): `trigger.\(name)`")
                }
                for match in text.matches(of: dataField) {
                    let name = String(text[match.output[1].range ?? match.range])
                    #expect(fields.contains(name), "\(trigger.name): `event.data.\(name)`")
                }
            }
        }
    }

    /// Optional parameters that a filter reads need a default, so the filter never reads an absent one.
    @Test func optionalParametersReadByFiltersHaveDefaults() {
        for trigger in catalog.triggers {
            guard let filter = trigger.lowering.filter else { continue }
            for parameter in trigger.parameters where !parameter.required && filter.contains("trigger.\(parameter.name)") {
                #expect(parameter.defaultValue != nil, "\(trigger.name).\(parameter.name)")
            }
        }
    }

    @Test func actionDefaults() throws {
        let http = try #require(catalog.action("http"))
        #expect(http.timeout == "30s")
        let retry = try #require(http.retry)
        #expect(retry.attempts == 3 && retry.backoff == "exponential" && retry.delay == "1s" && retry.maxDelay == "30s")
        #expect(http.exclusive == [["json", "body"]])
        #expect(http.output.map(\.name) == ["status", "headers", "body", "json"])
        #expect(http.inputs.first { $0.name == "url" }?.required == true)
        for action in catalog.actions where action.name != "http" {
            #expect(action.retry?.attempts ?? 1 == 1, "\(action.name)")
            #expect(action.timeout == nil, "\(action.name)")
        }
        #expect(catalog.action("emit")?.output.map(\.name) == ["id"])
    }

    @Test func envelopeTimeIsAlwaysPresent() throws {
        let time = try #require(catalog.envelope.first { $0.name == "time" })
        #expect(time.type == "timestamp" && !time.optional)
        #expect(catalog.envelope.first { $0.name == "subject" }?.optional == true)
    }

    @Test func theCatalogFileInGrammarIsTheEmbeddedOne() throws {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Grammar/catalog.json")
        let fromFile = try Catalog.load(Data(contentsOf: url))
        #expect(fromFile.triggers == catalog.triggers)
        #expect(fromFile.events == catalog.events)
        #expect(fromFile.actions == catalog.actions)
    }

    @Test func loadRejectsATriggerOfAnUnknownEvent() {
        let json = #"""
        {"version": 1, "envelope": [], "events": [], "actions": [], "controls": [], "actionKeys": [], "flowKeys": [],
         "triggers": [{"name": "x", "event": "nope", "lowering": {"kind": "match", "filter": "true"}}]}
        """#
        #expect(throws: CatalogError.self) { _ = try Catalog.load(Data(json.utf8)) }
    }

    @Test func loadRejectsABadTypeExpression() {
        let json = #"""
        {"version": 1, "envelope": [{"name": "id", "type": "strng"}], "events": [], "triggers": [], "actions": [],
         "controls": [], "actionKeys": [], "flowKeys": []}
        """#
        #expect(throws: CatalogError.self) { _ = try Catalog.load(Data(json.utf8)) }
    }
}
