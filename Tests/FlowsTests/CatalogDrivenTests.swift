import Catalog
import Diagnostics
import Flows
import Foundation
import Testing
import YAML

/// The checker knows triggers, actions and control actions only through the catalog: a new
/// catalog entry is checked without any code change.
@Suite struct CatalogDrivenTests {
    /// The shipped catalog plus a `webhook.received` trigger and a `notify` action.
    static func extendedCatalog() throws -> Catalog {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Grammar/catalog.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var triggers = try #require(json["triggers"] as? [[String: Any]])
        triggers.append([
            "name": "webhook.received",
            "event": "segment.refresh",
            "parameters": [
                ["name": "path", "type": "string", "required": true, "kind": "literal"],
                ["name": "verb", "type": "string", "kind": "literal", "values": ["get", "post"], "default": "post"],
            ],
            "lowering": ["kind": "match", "filter": "true"],
        ])
        json["triggers"] = triggers
        var actions = try #require(json["actions"] as? [[String: Any]])
        actions.append([
            "name": "notify",
            "inputs": [
                ["name": "channel", "type": "string", "required": true],
                ["name": "urgent", "type": "bool", "kind": "literal"],
            ],
            "exclusive": [["channel", "urgent"]],
        ])
        json["actions"] = actions
        return try Catalog.load(JSONSerialization.data(withJSONObject: json))
    }

    @Test func newTriggerAndActionAreChecked() throws {
        let catalog = try Self.extendedCatalog()
        let text = """
            flow: hook
            trigger:
              type: webhook.received
              verb: pots
            actions:
              - id: ping
                type: notfy
              - id: pong
                type: notify
                with: { channel: ops, urgent: yes }
            """
        let file = SourceFile(path: "hook.yaml", text: text)
        let result = FlowChecker.check([YAMLReader.read(file, limits: YAMLLimits())], catalog: catalog)
        let lines = result.diagnostics.map { "\($0.span.start.line):\($0.span.start.column) \($0.code) \($0.message)" }
        #expect(lines == [
            "3:9 FC0101 missing required key `path` in trigger `webhook.received`",
            "4:9 FC0107 invalid value `pots` for `trigger.verb`; did you mean `post`?",
            "7:11 FC0112 unknown action type `notfy`; did you mean `notify`?",
            "10:27 FC0121 `urgent` cannot be used together with `channel`",
            "10:35 FC0104 expected `true` or `false` for `with.urgent`, found `yes`",
        ])
        #expect(result.flows.first?.trigger?.defaults == [:])
    }

    @Test func defaultsOfUnwrittenParametersAreRecorded() throws {
        let text = "flow: d\ntrigger:\n  type: segment.threshold.crossed\n  segment: VIP\n  threshold: 10\nactions:\n  - { id: a, type: log, with: { message: hi } }\n"
        let flow = try #require(Lint.text(text).flows.first)
        #expect(flow.trigger?.defaults == ["direction": "up"])
        #expect(flow.trigger?.argument("threshold") != nil)
    }
}
