import Catalog
import Foundation
import Testing

@Suite struct FlowSchemaTests {
    let schemaPath = repositoryRoot.appendingPathComponent("Grammar/flow.schema.json").path
    let validator = repositoryRoot.appendingPathComponent("Tests/CatalogTests/validate_flows.py").path

    @Test func exampleFlowsValidateAndInvalidFixturesAreRejected() throws {
        guard pythonAvailable() else {
            Issue.record("python3 is required to check flows against Grammar/flow.schema.json; install it, then `pip install jsonschema pyyaml`")
            return
        }
        let examples = try yamlFiles(in: repositoryRoot.appendingPathComponent("flows"))
        let invalid = try yamlFiles(in: repositoryRoot.appendingPathComponent("Tests/CatalogTests/SchemaFixtures/invalid"))
        #expect(examples.count >= 7, "every trigger needs an example flow in flows/")
        #expect(invalid.count >= 6, "keep at least six invalid fixtures")

        let result = try run(
            ["python3", validator, schemaPath, "--expect-valid"] + examples + ["--expect-invalid"] + invalid)
        switch result.status {
        case 0:
            break
        case 2:
            Issue.record("the schema validator could not run (missing `pip install jsonschema pyyaml`?):\n\(result.output)")
        default:
            Issue.record("flows and schema disagree:\n\(result.output)")
        }
    }
}

@Suite struct ReadmeTests {
    /// The catalog tables in README.md are generated from Grammar/catalog.json.
    @Test func catalogTablesAreUpToDate() throws {
        guard pythonAvailable() else {
            Issue.record("python3 is required to check README.md's catalog tables")
            return
        }
        let script = repositoryRoot.appendingPathComponent("bench/gen_catalog_docs.py").path
        let result = try run(["python3", script, "--check"])
        #expect(result.status == 0, "\(result.output)")
    }
}

/// The schema is written by hand for editors; these checks keep it in step with the catalog.
@Suite struct FlowSchemaMatchesCatalogTests {
    let catalog = Catalog.standard
    let schema: [String: Any]
    let definitions: [String: Any]

    init() throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("Grammar/flow.schema.json"))
        schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        definitions = try #require(schema["$defs"] as? [String: Any])
    }

    private func definition(_ name: String) -> [String: Any] {
        definitions[name] as? [String: Any] ?? [:]
    }

    private func propertyNames(_ object: [String: Any]) -> Set<String> {
        Set((object["properties"] as? [String: Any] ?? [:]).keys)
    }

    private func enumValues(_ object: [String: Any]?) -> [String] {
        object?["enum"] as? [String] ?? []
    }

    private func required(_ object: [String: Any]) -> Set<String> {
        Set(object["required"] as? [String] ?? [])
    }

    @Test func flowKeys() {
        #expect(propertyNames(schema) == Set(catalog.flowKeys.map(\.name)))
        #expect(required(schema) == Set(catalog.flowKeys.filter(\.required).map(\.name)))
    }

    @Test func triggerTypesAndParameters() {
        let trigger = definition("trigger")
        let types = (trigger["properties"] as? [String: Any])?["type"] as? [String: Any]
        #expect(Set(enumValues(types)) == Set(catalog.triggers.map(\.name)))
        let shared = ["datasource.refresh.failed": "datasource.refresh", "datasource.refresh.succeeded": "datasource.refresh"]
        for entry in catalog.triggers {
            let body = definition("trigger.\(shared[entry.name] ?? entry.name)")
            #expect(propertyNames(body) == Set(entry.parameters.map(\.name)), "\(entry.name)")
            #expect(required(body) == Set(entry.parameters.filter(\.required).map(\.name)), "\(entry.name)")
        }
    }

    @Test func actionTypesKeysAndInputs() {
        let action = definition("action")
        let properties = action["properties"] as? [String: Any]
        #expect(Set(enumValues(properties?["type"] as? [String: Any])) == Set(catalog.actionTypeNames))
        // `with` belongs to ordinary actions only, so the schema puts it in each of them.
        #expect(propertyNames(action) == Set(catalog.actionKeys.map(\.name)).subtracting(["with"]))
        for entry in catalog.actions {
            let with = (definition("action.\(entry.name)")["properties"] as? [String: Any])?["with"] as? [String: Any] ?? [:]
            #expect(propertyNames(with) == Set(entry.inputs.map(\.name)), "\(entry.name)")
            #expect(required(with) == Set(entry.inputs.filter(\.required).map(\.name)), "\(entry.name)")
            for input in entry.inputs where input.kind == "literal" {
                let property = (with["properties"] as? [String: Any])?[input.name] as? [String: Any]
                #expect(enumValues(property) == input.values ?? [], "\(entry.name).\(input.name)")
            }
        }
        for entry in catalog.controls {
            let body = definition("control.\(entry.name)")
            #expect(propertyNames(body) == Set(entry.keys.map(\.name)), "\(entry.name)")
            #expect(required(body) == Set(entry.keys.filter(\.required).map(\.name)), "\(entry.name)")
        }
    }
}
