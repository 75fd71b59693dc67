import CEL
import Catalog
import Diagnostics
import Flows
import Foundation
import Graph
import Testing
import YAML

/// Compiling the example flows: golden graphs, byte-exact round trips through JSON, the
/// schema in `Grammar/graph.schema.json`, and the refusals of ``GraphIO/decode(_:catalog:)``.
/// `RECORD_GOLDEN=1 swift test` writes `Fixtures/*.graph.json` anew.
@Suite struct CompiledGraphTests {
    static let recording = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
    static let examples = GraphFixtures.exampleNames()

    @Test func everyExampleIsHere() {
        #expect(Self.examples.count >= 7)
    }

    @Test(arguments: examples)
    func exampleCompilesToItsGolden(name: String) throws {
        let result = GraphFixtures.check(["flows/\(name).yaml"])
        #expect(result.diagnostics.isEmpty, "flows/\(name).yaml: \(result.diagnostics.map { "\($0.span.start.line):\($0.span.start.column) \($0.code) \($0.message)" })")
        let bytes = GraphIO.encode(GraphLowering.lower(result, compiler: "flowc test"))
        let url = GraphFixtures.directory.appendingPathComponent("\(name).graph.json")
        if Self.recording {
            try Data(bytes).write(to: url)
            return
        }
        let golden = try? Data(contentsOf: url)
        #expect(golden.map(Array.init) == bytes, "\(name).graph.json differs; RECORD_GOLDEN=1 re-records it")
    }

    @Test(arguments: examples)
    func compileDecodeEncodeRoundTrips(name: String) throws {
        let result = GraphFixtures.check(["flows/\(name).yaml"])
        let graph = GraphLowering.lower(result, compiler: "flowc test")
        let bytes = GraphIO.encode(graph)
        let decoded = try GraphIO.decode(bytes)
        #expect(decoded == graph)
        #expect(GraphIO.encode(decoded) == bytes)
    }

    @Test func compilingTwiceGivesTheSameBytes() {
        let paths = Self.examples.map { "flows/\($0).yaml" }
        let first = GraphIO.encode(GraphLowering.lower(GraphFixtures.check(paths), compiler: "x"))
        let second = GraphIO.encode(GraphLowering.lower(GraphFixtures.check(paths), compiler: "x"))
        #expect(first == second)
        #expect(!first.isEmpty)
    }

    @Test func compiledExamplesMatchTheSchema() throws {
        let paths = Self.examples.map { "flows/\($0).yaml" }
        let bytes = GraphIO.encode(GraphLowering.lower(GraphFixtures.check(paths), compiler: "flowc test"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowc-graph-\(UUID().uuidString).json")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let schema = GraphFixtures.repositoryRoot.appendingPathComponent("Grammar/graph.schema.json").path
        let script = """
            import json, sys
            try:
                from jsonschema import Draft202012Validator
            except ImportError:
                print("missing jsonschema (pip install jsonschema)"); sys.exit(2)
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            errors = list(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
            for error in errors[:20]:
                print(error.json_path, error.message[:300])
            sys.exit(1 if errors else 0)
            """
        let (status, output) = try GraphFixtures.run(["python3", "-c", script, schema, file.path])
        #expect(status == 0, "the compiled graph does not match Grammar/graph.schema.json:\n\(output)")
    }

    @Test func schemaRejectsABrokenGraph() throws {
        let schema = GraphFixtures.repositoryRoot.appendingPathComponent("Grammar/graph.schema.json").path
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            bad = {"format": "flowc-graph", "version": 1, "compiler": "x", "flows": [{"name": "a"}]}
            sys.exit(0 if list(Draft202012Validator(schema).iter_errors(bad)) else 1)
            """
        let (status, output) = try GraphFixtures.run(["python3", "-c", script, schema])
        #expect(status == 0, "\(output)")
    }
}

@Suite struct LoweringTests {
    static let flow = """
        flow: lowering
        trigger:
          type: segment.threshold.crossed
          segment: VIP
          threshold: 10
        vars:
          names: ${{ [event.data.segment] }}
          n: 0
        actions:
          - id: first
            type: log
            with: { message: "at ${{ vars.n }}" }
          - type: foreach
            items: ${{ vars.names }}
            do:
              - type: set
                with: { var: n, value: "${{ vars.n + 1 }}" }
              - type: log
                run_after: { first: [succeeded, failed] }
                with: { message: "${{ item }}" }
          - id: route
            type: switch
            on: ${{ event.data.segment }}
            cases:
              VIP:
                - type: emit
                  with: { type: x.y, data: { n: "${{ item2 }}" } }
            default:
              - type: log
                with: { message: other }
        """

    @Test func thresholdTriggerIsLoweredFromTheCatalog() throws {
        let graph = try #require(GraphFixtures.lower(Self.flow.replacingOccurrences(of: "${{ item2 }}", with: "x")))
        let trigger = graph.trigger
        #expect(trigger.kind == .threshold)
        #expect(trigger.eventTypes == ["segment.refresh"])
        #expect(trigger.eventType == "segment.refresh")
        #expect(trigger.threshold == 10)
        #expect(trigger.direction == "up")
        #expect(trigger.key?.source == "event.data.segment")
        #expect(trigger.value?.type == "int")
        #expect(trigger.filter?.type == "bool")
        #expect(trigger.parameters.map(\.name) == ["segment", "threshold", "direction"])
        #expect(trigger.parameters.first { $0.name == "threshold" }?.value == .double(10))
    }

    @Test func actionsScopesEdgesAndDefaults() throws {
        let graph = try #require(GraphFixtures.lower(Self.flow.replacingOccurrences(of: "${{ item2 }}", with: "x")))
        #expect(graph.vars.map(\.type) == ["list(string)", "int"])
        let top = graph.actions
        #expect(top.path == "actions")
        #expect(top.actions.map(\.path) == ["first", "actions/1", "route"])
        #expect(top.edges == [
            GraphEdge(from: "first", to: "actions/1", on: ["succeeded"], implicit: true),
            GraphEdge(from: "actions/1", to: "route", on: ["succeeded"], implicit: true),
        ])
        let log = top.actions[0]
        #expect(log.input("level") == .string("info"))
        #expect(log.retry == GraphRetry(attempts: 1, backoff: "exponential", delayMilliseconds: 1000, maxDelayMilliseconds: 30000))
        let loop = top.actions[1]
        #expect(loop.valueType == "string")
        #expect(loop.input("as") == .string("item"))
        #expect(loop.input("concurrency") == .int(1))
        #expect(loop.scopes.map(\.path) == ["actions/1/do"])
        let body = loop.scopes[0]
        #expect(body.actions.map(\.path) == ["actions/1/do/0", "actions/1/do/1"])
        #expect(body.actions[0].valueType == "int")
        #expect(body.edges == [GraphEdge(from: "first", to: "actions/1/do/1", on: ["succeeded", "failed"], implicit: false)])
        let route = top.actions[2]
        #expect(route.scopes.map(\.path) == ["route/cases/VIP", "route/default"])
        #expect(route.scopes.map(\.label) == ["VIP", nil])
        if case .expression(let expression)? = body.actions[1].input("message") {
            #expect(expression.source == "item")
            #expect(expression.type == "string")
            #expect(expression.span.line == 20)
            #expect(expression.span.column == 31)
        } else {
            Issue.record("the loop's log message is not one expression")
        }
        // An int where text is expected is formatted as text.
        guard case .template(let segments)? = top.actions[0].input("message") else {
            Issue.record("the first message is not a template")
            return
        }
        #expect(segments.count == 2)
    }

    @Test func globMatchIsAvailableInCEL() {
        var environment = CELEnvironment()
        environment.declare("x", type: .string)
        for (pattern, expected) in [("Sales*", true), ("*EU", true), ("S*s*U", true), ("Sales", false), ("*", true), ("a*b", false)] {
            guard case .success(let program) = environment.compile("globMatch(x, '\(pattern)')") else {
                Issue.record("globMatch does not compile")
                return
            }
            let value = program.evaluate(["x": .string("Sales EU")], in: environment)
            guard case .bool(let matched) = value else {
                Issue.record("globMatch gave \(value)")
                continue
            }
            #expect(matched == expected, "globMatch(\"Sales EU\", \"\(pattern)\")")
        }
    }
}

@Suite struct GraphDecodingTests {
    static func compiled() throws -> [String: Any] {
        let bytes = GraphIO.encode(GraphLowering.lower(GraphFixtures.check(["flows/vip-segment-growth.yaml"]), compiler: "t"))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static func message(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        do {
            _ = try GraphIO.decode(Array(data))
            return ""
        } catch {
            return error.description
        }
    }

    static func message(_ graph: FlowGraph) -> String {
        do {
            _ = try GraphIO.decode(GraphIO.encode(graph))
            return ""
        } catch {
            return error.description
        }
    }

    static func graph() throws -> FlowGraph {
        GraphLowering.lower(GraphFixtures.check(["flows/vip-segment-growth.yaml"]), compiler: "t")
    }

    @Test func refusesAnotherFormatOrVersion() throws {
        var object = try Self.compiled()
        object["format"] = "something-else"
        #expect(Self.message(object).contains("`format` is `something-else`, expected `flowc-graph`"))
        object = try Self.compiled()
        object["version"] = 2
        #expect(Self.message(object).contains("version 2 is not supported"))
        object.removeValue(forKey: "version")
        #expect(Self.message(object).contains("version missing is not supported"))
    }

    @Test func refusesMalformedJSON() {
        do {
            _ = try GraphIO.decode(Array("{\"format\": ".utf8))
            Issue.record("decoded malformed JSON")
        } catch {
            #expect(error.description.contains("not valid JSON"))
        }
        do {
            _ = try GraphIO.decode(Array("[1]".utf8))
            Issue.record("decoded a list")
        } catch {
            #expect(error.description.contains("not an object"))
        }
    }

    @Test func refusesMissingFields() throws {
        var object = try Self.compiled()
        var flows = try #require(object["flows"] as? [[String: Any]])
        flows[0].removeValue(forKey: "trigger")
        object["flows"] = flows
        let message = Self.message(object)
        #expect(message.contains("malformed flowc graph") && message.contains("trigger"), "\(message)")
    }

    @Test func refusesEdgesOutsideTheScope() throws {
        var graph = try Self.graph()
        graph.flows[0].actions.edges.append(GraphEdge(from: "nowhere", to: "audit", on: ["failed"], implicit: false))
        let message = Self.message(graph)
        #expect(message.contains("flow `vip-segment-growth`, scope `actions`: edge from `nowhere`"), "\(message)")
    }

    @Test func refusesDuplicatePathsAndUnknownStatuses() throws {
        var graph = try Self.graph()
        graph.flows[0].actions.actions[1].path = "notify"
        graph.flows[0].actions.actions[1].id = "notify"
        graph.flows[0].actions.edges[0].on = ["done"]
        let message = Self.message(graph)
        #expect(message.contains("action `notify`: the path is used twice"), "\(message)")
        #expect(message.contains("unknown status `done`"), "\(message)")
    }

    @Test func refusesIncompleteThresholdTriggers() throws {
        var graph = try Self.graph()
        graph.flows[0].trigger.key = nil
        graph.flows[0].trigger.threshold = nil
        let message = Self.message(graph)
        #expect(message.contains("flow `vip-segment-growth`, trigger: a `threshold` trigger needs `key`"), "\(message)")
        #expect(message.contains("needs `threshold`"), "\(message)")
    }

    @Test func refusesExpressionsThatDoNotRecheck() throws {
        var graph = try Self.graph()
        graph.flows[0].conditions[0].type = "int"
        graph.flows[0].conditions.append(GraphExpression(source: "event.data.nope", type: "bool", span: graph.flows[0].trigger.span))
        let message = Self.message(graph)
        #expect(message.contains("conditions[0]") && message.contains("but the graph records `int`"), "\(message)")
        #expect(message.contains("conditions[2]") && message.contains("does not check"), "\(message)")
    }

    @Test func refusesVarTypesThatDoNotParse() throws {
        var graph = try Self.graph()
        graph.flows[0].vars[0].type = "list(string"
        let message = Self.message(graph)
        #expect(message.contains("vars.headline: the type `list(string` does not parse"), "\(message)")
    }

    @Test func refusesDuplicateFlowNames() throws {
        var graph = try Self.graph()
        graph.flows.append(graph.flows[0])
        #expect(Self.message(graph).contains("flow `vip-segment-growth`: the name is used twice"))
    }
}

@Suite struct FlowScopeTests {
    @Test func recordTypesAreSharedByNarrowerScopes() throws {
        let scope = FlowScope(
            trigger: "datasource.refresh.failed", vars: [("a", .int), ("b", .string)], actions: [("call", "http"), ("note", "log")])
        let narrow = scope.visible(vars: 1, actions: ["call"]).adding(loopVariables: [("item", .string)])
        #expect(narrow.eventRecordType === scope.eventRecordType)
        #expect(narrow.actionTypes["call"] === scope.actionTypes["call"])
        #expect(narrow.varsType.fields.map(\.name) == ["a"])
        #expect(narrow.actionsType.fields.map(\.name) == ["call"])
        #expect(narrow.slots.event == 0 && narrow.slots.flow == 7)
        #expect(narrow.slots.loopVariables["item"] == 8)
        #expect(narrow.environment.variable(named: "event")?.slot == scope.slots.event)
        #expect(scope.outputTypes["call"]?.field(named: "status")?.type == .int)
        #expect(scope.outputTypes["note"] == nil)
        #expect(scope.actionTypes["note"]?.field(named: "output") == nil)
        #expect(scope.triggerType.field(named: "datasource")?.type == .list(.string))
    }

    @Test func genericTriggerHasDynDataUnlessTheTypeIsKnown() throws {
        let untyped = FlowScope(trigger: "event", eventType: nil, vars: [], actions: [])
        #expect(untyped.eventRecordType.field(named: "data")?.type == .dyn)
        #expect(untyped.eventTypeName == nil)
        let typed = FlowScope(trigger: "event", eventType: "segment.refresh", vars: [], actions: [])
        #expect(typed.eventTypeName == "segment.refresh")
        #expect(typed.triggerType.field(named: "filter") == nil)
    }

    @Test func scopeFromAGraphFlow() throws {
        let graph = GraphLowering.lower(GraphFixtures.check(["flows/nightly-refresh-report.yaml"]), compiler: "t")
        let flow = try #require(graph.flows.first)
        let scope = try FlowScope(graphFlow: flow)
        #expect(scope.varsType.fields.map(\.name) == ["failures", "failedNames", "took"])
        #expect(scope.actionsType.fields.map(\.name) == ["summary", "perFailure", "outcome"])
        let loop = try #require(flow.actions.actions.first { $0.type == "foreach" })
        let inner = try scope.loopScope(for: loop)
        #expect(inner.environment.variable(named: "failure") != nil)
        #expect(throws: FlowScope.BuildError.self) {
            try FlowScope(trigger: "event", eventType: nil, varTypes: [("x", "list(")], actions: [])
        }
    }
}

enum GraphFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func exampleNames() -> [String] {
        let folder = repositoryRoot.appendingPathComponent("flows")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return entries.filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Checks files given relative to the repository, keeping the relative paths in spans.
    static func check(_ paths: [String]) -> FlowCheckResult {
        let streams = paths.map { path in
            let bytes = (try? Data(contentsOf: repositoryRoot.appendingPathComponent(path))).map { Array($0) } ?? []
            return YAMLReader.read(SourceFile(path: path, bytes: bytes))
        }
        return FlowChecker.check(streams)
    }

    static func lower(_ text: String) -> GraphFlow? {
        let result = FlowChecker.check([YAMLReader.read(SourceFile(path: "t.yaml", text: text))])
        guard !result.hasErrors else {
            Issue.record("unexpected errors: \(result.diagnostics.map { "\($0.span.start.line):\($0.span.start.column) \($0.message)" })")
            return nil
        }
        return GraphLowering.lower(result, compiler: "t").flows.first
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
