import Diagnostics
import Flows
import Foundation
import Graph
import Testing
import YAML

/// Golden drawings of a hand-built graph with every construct, escaping of hostile labels,
/// Graphviz's own verdict on the DOT, and a structural check of the Mermaid.
/// `RECORD_GOLDEN=1 swift test` writes the golden files in `Fixtures/drawings/` anew.
@Suite struct DrawingTests {
    static let recording = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
    static let drawings = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("drawings")

    static let samples: [(name: String, graph: FlowGraph)] = [
        ("every-construct", DrawingSamples.everyConstruct),
        ("hostile-labels", DrawingSamples.hostileLabels),
    ]

    @Test(arguments: samples.map(\.name), [GraphDrawing.Format.dot, .mermaid])
    func drawingMatchesGolden(name: String, format: GraphDrawing.Format) throws {
        let graph = try #require(Self.samples.first { $0.name == name }?.graph)
        let actual = GraphDrawing.draw(graph, as: format)
        let url = Self.drawings.appendingPathComponent("\(name).\(format == .dot ? "dot" : "mmd")")
        if Self.recording {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try? String(contentsOf: url, encoding: .utf8)
        #expect(expected == actual, "\(url.lastPathComponent) differs; RECORD_GOLDEN=1 re-records it")
    }

    @Test(arguments: samples.map(\.name))
    func graphvizRendersTheDOTWithoutWarnings(name: String) throws {
        let graph = try #require(Self.samples.first { $0.name == name }?.graph)
        let result = try Graphviz.render(GraphDrawing.dot(graph))
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty, "dot said: \(result.standardError)")
        #expect(result.svg.contains("<svg"))
    }

    @Test(arguments: samples.map(\.name))
    func mermaidIsStructurallyValid(name: String) throws {
        let graph = try #require(Self.samples.first { $0.name == name }?.graph)
        let problems = try MermaidCheck.problems(in: GraphDrawing.mermaid(graph))
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// Graphviz draws each hostile label exactly as written: the SVG holds the original text
    /// (XML-escaped by Graphviz itself), so nothing was lost or interpreted on the way.
    @Test func hostileLabelsSurviveGraphvizVerbatim() throws {
        let result = try Graphviz.render(GraphDrawing.dot(DrawingSamples.hostileLabels))
        for text in DrawingSamples.hostileTexts {
            let inSVG = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            #expect(result.svg.contains(inSVG), "`\(text)` is not drawn verbatim")
        }
    }

    @Test func dotEscapesQuotesBackslashesEntitiesAndNewlines() {
        #expect(DOTEscaping.line("say \"hi\"") == #"say \"hi\""#)
        #expect(DOTEscaping.line(#"C:\N\G"#) == #"C:\\N\\G"#)
        #expect(DOTEscaping.line("a &amp; b") == "a &amp;amp; b")
        let dot = GraphDrawing.dot(DrawingSamples.hostileLabels)
        #expect(dot.contains(#"x\\\"y"#))
        // Every line is a statement: no label broke across lines.
        for line in dot.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            #expect(text.hasSuffix(";") || text.hasSuffix("{") || text == "}", "not a whole statement: \(text)")
        }
    }

    @Test func mermaidEscapesEverythingItsParserReads() {
        let mermaid = GraphDrawing.mermaid(DrawingSamples.hostileLabels)
        #expect(mermaid.contains("#quot;"))
        #expect(mermaid.contains("#60;script#62;"))
        #expect(!mermaid.contains("%%{"))
        #expect(!mermaid.contains("<script>"))
    }

    /// YAML → checker → lowering → drawing, over the repository's example flows and the
    /// Flows module's valid fixtures (every control action, nested, with `run_after`).
    @Test(arguments: ["flows", "Tests/FlowsTests/Fixtures/valid"])
    func loweredFlowsDrawValidly(folder: String) throws {
        let graph = try LoweredFlows.graph(folder: folder)
        #expect(graph.flows.count >= 2)
        let result = try Graphviz.render(GraphDrawing.dot(graph))
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty, "dot said: \(result.standardError)")
        let problems = try MermaidCheck.problems(in: GraphDrawing.mermaid(graph))
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func loweredControlFlowShowsEveryScope() throws {
        let graph = try LoweredFlows.graph(folder: "Tests/FlowsTests/Fixtures/valid")
        let flow = try #require(graph.flows.first { $0.name == "control-flow" })
        let dot = GraphDrawing.dot(FlowGraph(compiler: "test", flows: [flow]))
        for title in ["then", "else", "case succeeded", "case failed", "case 42", "default", "do", "branch 0", "branch 1"] {
            #expect(dot.contains("label=\"\(title)\\l\""), "no `\(title)` scope")
        }
        #expect(dot.contains("label=\" succeeded | failed \""))
    }

    /// The checker itself must reject what would break Mermaid, or its passing means nothing.
    @Test(arguments: [
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"say \"hi\"\"):::action\n  end\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a;b\"):::action\n  end\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a\"):::action\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a\"):::action\n  end\n  f0_n0 --> f0_n9\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a\"):::action\n    f0_n0(\"b\"):::action\n  end\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a\"):::other\n  end\n  classDef action fill:#fff\n",
        "flowchart TB\n  subgraph f0 [\"a\"]\n    f0_n0(\"a\"]:::action\n  end\n  classDef action fill:#fff\n",
    ])
    func mermaidCheckRejectsBrokenText(text: String) throws {
        #expect(try !MermaidCheck.problems(in: text).isEmpty)
    }

    @Test func nodeIdsAreUniqueAcrossFlowsWithTheSameActionIds() throws {
        let graph = FlowGraph(compiler: "test", flows: [DrawingSamples.tinyFlow(name: "a"), DrawingSamples.tinyFlow(name: "a")])
        let mermaid = GraphDrawing.mermaid(graph)
        #expect(try MermaidCheck.problems(in: mermaid).isEmpty)
        #expect(mermaid.contains("f0_n0(") && mermaid.contains("f1_n0("))
    }

    @Test func longExpressionsAreCutAndWhitespaceCollapsed() {
        let long = "event.data.memberCount\n   > " + String(repeating: "1", count: 300)
        var flow = DrawingSamples.tinyFlow(name: "long")
        flow.conditions = [DrawingSamples.expression(long)]
        let dot = GraphDrawing.dot(FlowGraph(compiler: "test", flows: [flow]))
        #expect(dot.contains("event.data.memberCount > 1111"))
        #expect(dot.contains("1…\""))
        #expect(!dot.contains(String(repeating: "1", count: 100)))
    }

    @Test func deepNestingIsCutOffInsteadOfOverflowing() throws {
        var scope = DrawingSamples.scope("leaf", [DrawingSamples.action("leaf-action", type: "emit")])
        for level in 0..<400 {
            let owner = "g\(level)"
            let nested = GraphScope(path: "\(owner)/do", actions: scope.actions, edges: scope.edges)
            scope = DrawingSamples.scope("x", [DrawingSamples.action(owner, type: "scope", control: true, scopes: [nested])])
        }
        var flow = DrawingSamples.tinyFlow(name: "deep")
        flow.actions = scope
        let graph = FlowGraph(compiler: "test", flows: [flow])
        #expect(GraphDrawing.dot(graph).contains("nested too deep to draw"))
        #expect(try MermaidCheck.problems(in: GraphDrawing.mermaid(graph)).isEmpty)
    }

    @Test func edgesNamingUnknownActionsAreLeftOut() throws {
        var flow = DrawingSamples.tinyFlow(name: "dangling")
        flow.actions.edges.append(GraphEdge(from: "ghost", to: "only", on: ["failed"], implicit: false))
        let mermaid = GraphDrawing.mermaid(FlowGraph(compiler: "test", flows: [flow]))
        #expect(try MermaidCheck.problems(in: mermaid).isEmpty)
        #expect(!mermaid.contains("ghost"))
    }
}

/// The DOT writer's escaping, seen through a one-line label.
enum DOTEscaping {
    static func line(_ text: String) -> String {
        var flow = DrawingSamples.tinyFlow(name: "escape")
        flow.actions.actions[0].id = text
        let dot = GraphDrawing.dot(FlowGraph(compiler: "test", flows: [flow]))
        // The action's label is `id\ntype`: take what stands between `label="` and `\nemit"`.
        guard let line = dot.split(separator: "\n").first(where: { $0.contains("f0_n0 [label=") }),
            let start = line.range(of: "label=\""), let end = line.range(of: "\\nemit\"", options: .backwards)
        else { return "" }
        return String(line[start.upperBound..<end.lowerBound])
    }
}

/// Flow files read, checked and lowered as `flowc graph` does.
enum LoweredFlows {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func graph(folder: String) throws -> FlowGraph {
        let directory = repositoryRoot.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }.sorted()
        let streams = try names.map { name in
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            return YAMLReader.read(SourceFile(path: "\(folder)/\(name)", bytes: [UInt8](data)))
        }
        return GraphLowering.lower(FlowChecker.check(streams), compiler: "test")
    }
}

/// Runs Graphviz's `dot -Tsvg`, through files so neither output can fill a pipe and stall it.
enum Graphviz {
    struct Result {
        var status: Int32
        var svg: String
        var standardError: String
    }

    struct NotInstalled: Error, CustomStringConvertible {
        var description: String { "Graphviz's `dot` is not installed (apt-get install graphviz; .ci/install-deps does it)" }
    }

    static func render(_ dot: String) throws -> Result {
        let candidates = ["/usr/bin/dot", "/usr/local/bin/dot", "/opt/homebrew/bin/dot"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { throw NotInstalled() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flowc-drawing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("graph.dot")
        let svg = folder.appendingPathComponent("graph.svg")
        let errors = folder.appendingPathComponent("stderr.txt")
        try Data(dot.utf8).write(to: input)
        try Data().write(to: errors)
        let errorHandle = try FileHandle(forWritingTo: errors)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-Tsvg", "-o", svg.path, input.path]
        process.standardError = errorHandle
        try process.run()
        process.waitUntilExit()
        try errorHandle.close()
        return Result(
            status: process.terminationStatus,
            svg: (try? String(contentsOf: svg, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }
}

/// Hand-built graphs, as the lowering would produce them.
enum DrawingSamples {
    static let span = GraphSpan(file: "flows/sample.yaml", line: 1, column: 1, endLine: 1, endColumn: 2)

    static func expression(_ source: String, type: String = "bool") -> GraphExpression {
        GraphExpression(source: source, type: type, span: span)
    }

    static func action(
        _ path: String, id: String? = nil, type: String, control: Bool = false, condition: String? = nil,
        inputs: [(String, GraphValue)] = [], scopes: [GraphScope] = [], retry: GraphRetry = .once, timeout: Int64? = nil
    ) -> GraphAction {
        GraphAction(
            path: path, id: id ?? (path.contains("/") ? nil : path), type: type, isControl: control,
            condition: condition.map { expression($0) }, inputs: inputs.map { GraphInput(name: $0.0, value: $0.1) },
            scopes: scopes, retry: retry, timeoutMilliseconds: timeout, span: span)
    }

    /// A list with the implicit "previous succeeded" edges, except into actions that have
    /// `run_after` edges: those replace the rule, as SPEC section 3 says.
    static func scope(_ path: String, label: String? = nil, _ actions: [GraphAction], runAfter: [(from: String, to: String, on: [String])] = []) -> GraphScope {
        let explicitTargets = Set(runAfter.map(\.to))
        var edges: [GraphEdge] = []
        for (index, action) in actions.enumerated() where index > 0 {
            if explicitTargets.contains(action.path) {
                edges += runAfter.filter { $0.to == action.path }.map { GraphEdge(from: $0.from, to: $0.to, on: $0.on, implicit: false) }
            } else {
                edges.append(GraphEdge(from: actions[index - 1].path, to: action.path, on: ["succeeded"], implicit: true))
            }
        }
        return GraphScope(path: path, label: label, actions: actions, edges: edges)
    }

    static func tinyFlow(name: String) -> GraphFlow {
        GraphFlow(
            name: name, file: "flows/\(name).yaml", enabled: true, concurrency: "queued",
            trigger: GraphTrigger(kind: .match, catalogName: "event", eventTypes: ["*"], eventType: nil, parameters: [], filter: nil, span: span),
            conditions: [], vars: [], actions: scope("actions", [action("only", type: "emit")]))
    }

    /// Both trigger kinds, conditions, vars, `run_after` on several statuses, and every control
    /// type nested in another.
    static let everyConstruct: FlowGraph = {
        let threshold = GraphTrigger(
            kind: .threshold, catalogName: "segment.threshold.crossed", eventTypes: ["segment.refresh"], eventType: "segment.refresh",
            parameters: [
                GraphParameter(name: "segment", type: "string", value: .string("VIP Customers")),
                GraphParameter(name: "threshold", type: "double", value: .double(10000)),
                GraphParameter(name: "direction", type: "string", value: .string("up")),
            ],
            filter: expression("event.data.status == \"succeeded\" && event.data.name == trigger.segment"),
            key: expression("event.data.name", type: "string"), value: expression("event.data.memberCount", type: "int"),
            threshold: 10000, direction: "up", span: span)
        let route = action(
            "route", type: "if", control: true, inputs: [("condition", .expression(expression("trigger.current > 20000")))],
            scopes: [
                scope("route/then", [action("big", type: "emit")]),
                scope("route/else", [
                    action("small", type: "emit"),
                    action("stop", type: "terminate", control: true, inputs: [("status", .string("failed")), ("message", .string("too small"))]),
                ]),
            ])
        let tiers = action(
            "tiers", type: "switch", control: true, inputs: [("on", .expression(expression("event.data.tier", type: "string")))],
            scopes: [
                scope("tiers/cases/gold", label: "gold", [action("gold-mail", type: "http")]),
                scope("tiers/cases/silver", label: "silver", [action("silver-mail", type: "http"), action("tiers/cases/silver/1", type: "emit")]),
                scope("tiers/default", [action("cancel", type: "terminate", control: true, inputs: [("status", .string("cancelled"))])]),
            ])
        let loop = action(
            "loop", type: "foreach", control: true,
            inputs: [("items", .expression(expression("event.data.members", type: "list(string)"))), ("as", .string("member")), ("concurrency", .int(2))],
            scopes: [scope("loop/do", [action("ping", type: "http", condition: "member != \"\"", timeout: 5000)])])
        let fanout = action(
            "fanout", type: "parallel", control: true,
            scopes: [
                scope("fanout/branches/0", label: "0", [action("a1", type: "http"), action("a2", type: "emit")]),
                scope("fanout/branches/1", label: "1", [action("b1", type: "set", inputs: [("name", .string("seen"))])]),
            ])
        let guarded = action(
            "guard", type: "scope", control: true,
            scopes: [scope("guard/do", [
                action("risky", type: "http", retry: GraphRetry(attempts: 3, backoff: "exponential", delayMilliseconds: 1000, maxDelayMilliseconds: 30000), timeout: 10000),
                route,
            ])])
        let vip = GraphFlow(
            name: "vip-segment-growth", file: "flows/vip.yaml", enabled: true, concurrency: "queued", trigger: threshold,
            conditions: [expression("event.data.memberCount < 1000000"), expression("now.getDayOfWeek(\"Europe/Oslo\") in [1, 2, 3, 4, 5]")],
            vars: [GraphVariable(name: "headline", type: "string", value: .template([.text("VIP crossed "), .expression(expression("trigger.current", type: "int"))]))],
            actions: scope("actions", [
                action("notify", type: "http", retry: GraphRetry(attempts: 3, backoff: "exponential", delayMilliseconds: 1000, maxDelayMilliseconds: 30000), timeout: 10000),
                action("audit", type: "emit"),
                tiers, loop, fanout, guarded,
                action("cleanup", type: "emit"),
                action("actions/7", type: "emit"),
            ], runAfter: [
                ("notify", "audit", ["succeeded", "failed"]),
                ("guard", "cleanup", ["failed", "timed_out"]),
                ("tiers", "actions/7", ["skipped"]),
                ("cleanup", "actions/7", ["succeeded", "skipped"]),
            ]))
        let match = GraphTrigger(
            kind: .match, catalogName: "datasource.refresh.failed", eventTypes: ["datasource.refresh"], eventType: "datasource.refresh",
            parameters: [GraphParameter(name: "datasource", type: "list(string)", value: .list([.string("crm-*"), .string("erp")]))],
            filter: expression("event.data.status == \"failed\""), span: span)
        let crm = GraphFlow(
            name: "crm-refresh-failed", file: "flows/crm.yaml", enabled: false, concurrency: "single", trigger: match,
            conditions: [], vars: [],
            actions: scope("actions", [
                action("check", type: "if", control: true, inputs: [("condition", .expression(expression("size(event.data.errors) > 0")))],
                    scopes: [scope("check/then", [action("page", type: "http")]), scope("check/else", [])]),
            ]))
        return FlowGraph(compiler: "0.1.0", flows: [vip, crm])
    }()

    /// Texts that break naive DOT or Mermaid writers.
    static let hostileTexts = [
        #"say "hi" \N \G \"#,
        "a & b &amp; c <b>bold</b> {x|y} [z]",
        "%%{init: {\"theme\": \"dark\"}}%% end; style x fill:#f00;",
        "<script>alert(1)</script>",
        "`md` #quot; #35; |pipe|",
        "ünïcödé → 名前",
    ]

    static let hostileLabels: FlowGraph = {
        var flow = tinyFlow(name: #"x\"y"#)
        flow.file = "flows/end.yaml"
        flow.conditions = hostileTexts.map { expression($0) }
        flow.trigger.filter = expression("line one\nline two\r\n\tthree\u{0}four")
        flow.actions = scope("actions", [
            action("end", type: "emit"),
            action("subgraph", type: "if", control: true, inputs: [("condition", .expression(expression(hostileTexts[0])))],
                scopes: [GraphScope(path: "subgraph/cases/\"a|b\"", label: "\"a|b\" <c>", actions: [action("o", type: "emit")], edges: [])]),
            action("style", type: "emit"),
        ], runAfter: [("subgraph", "style", ["failed", "timed_out"])])
        return FlowGraph(compiler: "0.1.0", flows: [flow])
    }()
}

/// A structural check of the Mermaid the writer produces, in lieu of Mermaid's own parser
/// (not available offline): every line is a statement form the writer is meant to use,
/// quoted strings hold only escaped text, subgraphs balance, ids are identifiers defined
/// once and before any link uses them, and classes and link indices exist.
enum MermaidCheck {
    static func problems(in text: String) throws -> [String] {
        var problems: [String] = []
        var defined = Set<String>()
        var subgraphs = Set<String>()
        var open: [String] = []
        var links = 0
        var usedClasses = Set<String>()
        var definedClasses = Set<String>()
        var linkStyles: [Int] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "flowchart TB" else { return ["the first line is not `flowchart TB`"] }
        guard lines.last == "" else { return ["the text does not end with a newline"] }
        let identifier = #"([A-Za-z][A-Za-z0-9_]*)"#
        let string = #""([^"]*)""#
        let subgraph = try Regex(#"^subgraph "# + identifier + #" \["# + string + #"\]$"#)
        let node = try Regex("^" + identifier + #"(>"# + string + #"\]|\{\{"# + string + #"\}\}|\[/"# + string + #"/\]|\("# + string + #"\)|\[\["# + string + #"\]\]|\(\["# + string + #"\]\)|\["# + string + #"\]):::([a-z]+)$"#)
        let link = try Regex("^" + identifier + #" (-->|-\.->|==>)(\|"# + string + #"\|)? "# + identifier + "$")
        let style = try Regex("^style " + identifier + #" [a-z-]+:[^ ;]+( [^ ;]+)?(,[a-z-]+:[^ ;,]+( [^ ;,]+)?)*$"#)
        let linkStyle = try Regex(#"^linkStyle ([0-9]+(,[0-9]+)*) [a-z-]+:[^ ;,]+(,[a-z-]+:[^ ;,]+)*$"#)
        let classDef = try Regex(#"^classDef ([a-z]+) [a-z-]+:[^ ;,]+(,[a-z-]+:[^ ;,]+)*$"#)

        let entity = try Regex(#"#([a-z]+|[0-9]+);"#)

        func checkText(_ quoted: Substring, line: Int) {
            // Only `<br/>` and entities may carry characters Mermaid reads.
            var plain = String(quoted).replacingOccurrences(of: "<br/>", with: "\n")
            plain = plain.replacing(entity, with: "")
            if let bad = plain.first(where: { "\"#&<>|`;:%".contains($0) }) {
                problems.append("line \(line): unescaped `\(bad)` in \"\(quoted)\"")
            }
        }
        func define(_ id: Substring, line: Int) {
            if id == "end" || !defined.insert(String(id)).inserted { problems.append("line \(line): `\(id)` defined twice or reserved") }
        }
        func use(_ id: Substring, line: Int) {
            if !defined.contains(String(id)) { problems.append("line \(line): `\(id)` used before it is defined") }
        }

        for (offset, raw) in lines.enumerated().dropFirst() where !raw.isEmpty {
            let number = offset + 1
            let indent = raw.prefix { $0 == " " }.count
            let statement = raw.dropFirst(indent)
            if statement == "end" {
                if open.popLast() == nil { problems.append("line \(number): `end` without `subgraph`") }
                continue
            }
            if let match = statement.wholeMatch(of: subgraph) {
                if links > 0 { problems.append("line \(number): subgraph after links") }
                let id = match.output[1].substring ?? ""
                define(id, line: number)
                subgraphs.insert(String(id))
                open.append(String(id))
                checkText(match.output[2].substring ?? "", line: number)
                continue
            }
            if let match = statement.wholeMatch(of: node) {
                if open.isEmpty { problems.append("line \(number): a node outside every subgraph") }
                define(match.output[1].substring ?? "", line: number)
                for index in 3...9 {
                    if let quoted = match.output[index].substring { checkText(quoted, line: number) }
                }
                usedClasses.insert(String(match.output[10].substring ?? ""))
                continue
            }
            if let match = statement.wholeMatch(of: link) {
                use(match.output[1].substring ?? "", line: number)
                use(match.output[5].substring ?? "", line: number)
                if let quoted = match.output[4].substring { checkText(quoted, line: number) }
                links += 1
                continue
            }
            if let match = statement.wholeMatch(of: style) {
                if !subgraphs.contains(String(match.output[1].substring ?? "")) { problems.append("line \(number): style of an unknown subgraph") }
                continue
            }
            if let match = statement.wholeMatch(of: linkStyle) {
                linkStyles += (match.output[1].substring ?? "").split(separator: ",").compactMap { Int($0) }
                continue
            }
            if let match = statement.wholeMatch(of: classDef) {
                definedClasses.insert(String(match.output[1].substring ?? ""))
                continue
            }
            problems.append("line \(number): not a known statement: \(statement)")
        }
        if !open.isEmpty { problems.append("subgraphs left open: \(open)") }
        if let index = linkStyles.first(where: { $0 >= links }) { problems.append("linkStyle \(index) but only \(links) links") }
        if !usedClasses.isSubset(of: definedClasses) { problems.append("classes never defined: \(usedClasses.subtracting(definedClasses).sorted())") }
        return problems
    }
}
