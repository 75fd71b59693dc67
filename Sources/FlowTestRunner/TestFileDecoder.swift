import Diagnostics
import Foundation
import YAML

/// Reads a test file's YAML into `FlowTestFile`, reporting what is wrong at its position.
struct TestFileDecoder {
    /// Events without `time` get this one, a Monday morning, plus a minute per event.
    static let startSeconds: Int64 = 1_772_442_000  // 2026-03-02T09:00:00Z
    static let fileKeys = ["flows", "env", "secrets", "tests"]
    static let testKeys = ["name", "events", "http", "expect"]
    static let expectKeys = ["runs", "emitted", "requests"]
    static let runKeys = ["flow", "event", "status", "actions"]
    static let emitKeys = ["type", "subject", "data"]
    static let requestKeys = ["method", "url", "headers", "json"]
    static let httpKeys = ["method", "url", "status", "json", "body", "headers"]

    var diagnostics: [Diagnostic] = []
    mutating func decode(_ stream: YAMLStream) -> FlowTestFile? {
        let file = stream.file
        diagnostics += stream.diagnostics
        guard stream.documents.count == 1, let root = stream.documents.first?.root, let pairs = root.mapping else {
            // A syntax error explains the missing mapping already.
            if stream.diagnostics.contains(where: { $0.severity == .error }) { return nil }
            error(.testFileStructure, "a test file is one mapping with `flows` and `tests`", at: stream.documents.first?.span ?? .whole(file: file.path))
            return nil
        }
        checkKeys(root, Self.fileKeys)
        let folder = URL(fileURLWithPath: file.path).deletingLastPathComponent()
        var flowFiles: [(String, SourceSpan)] = []
        if let flows = root["flows"] {
            for item in flows.sequence.map(Array.init) ?? [flows] {
                guard let name = item.scalar?.value, !name.isEmpty else {
                    error(.testFileStructure, "`flows` lists flow file paths", at: item.span)
                    continue
                }
                let path = name.hasPrefix("/") ? name : folder.appendingPathComponent(name).standardizedFileURL.path
                var isFolder: ObjCBool = false
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                    error(.testUnknownFlowFile, "no flow file `\(name)`", at: item.span, label: "relative to `\(file.path)`")
                } else if isFolder.boolValue {
                    let found = Self.flowFiles(inFolder: path)
                    if found.isEmpty { error(.testUnknownFlowFile, "no flow files in `\(name)`", at: item.span) }
                    flowFiles += found.map { ($0, item.span) }
                } else {
                    flowFiles.append((path, item.span))
                }
            }
        } else {
            error(.testFileStructure, "missing key `flows`", at: pairs.first?.key.span ?? root.span)
        }
        let env = names(root["env"], "env")
        let secrets = names(root["secrets"], "secrets")
        var tests: [FlowTestCase] = []
        if let node = root["tests"] {
            if let items = node.sequence {
                tests = items.compactMap { decodeTest($0) }
            } else {
                error(.testFileStructure, "`tests` is a list", at: node.span)
            }
        } else {
            error(.testFileStructure, "missing key `tests`", at: root.span)
        }
        return FlowTestFile(path: file.path, source: file, flowFiles: flowFiles, env: env, secrets: secrets, tests: tests)
    }

    private mutating func decodeTest(_ node: YAMLNode) -> FlowTestCase? {
        guard node.mapping != nil else {
            error(.testFileStructure, "a test is a mapping with `name`, `events` and `expect`", at: node.span)
            return nil
        }
        checkKeys(node, Self.testKeys)
        guard let nameNode = node["name"], let name = nameNode.scalar?.value, !name.isEmpty else {
            error(.testFileStructure, "a test needs a `name`", at: node.span)
            return nil
        }
        var events: [TestEvent] = []
        let eventNodes = list(node["events"], "events") ?? []
        for (offset, item) in eventNodes.enumerated() {
            if let event = decodeEvent(item, index: offset + 1) { events.append(event) }
        }
        let http = (list(node["http"], "http") ?? []).compactMap { decodeCanned($0) }
        var expect = Expectations()
        if let expectNode = node["expect"] {
            if expectNode.mapping != nil {
                checkKeys(expectNode, Self.expectKeys)
                expect.runs = expectedList(expectNode["runs"], "runs") { $0.decodeRun($1, eventCount: eventNodes.count) }
                expect.emitted = expectedList(expectNode["emitted"], "emitted") { $0.decodeEmit($1) }
                expect.requests = expectedList(expectNode["requests"], "requests") { $0.decodeRequest($1) }
            } else {
                error(.testFileStructure, "`expect` is a mapping with `runs`, `emitted` or `requests`", at: expectNode.span)
            }
        }
        return FlowTestCase(name: name, span: nameNode.span, events: events, http: http, expect: expect)
    }

    private mutating func decodeEvent(_ node: YAMLNode, index: Int) -> TestEvent? {
        guard case .object(var fields) = TestJSON.value(node) else {
            error(.testMalformedEvent, "an event is a mapping with `type` and `data`", at: node.span)
            return nil
        }
        guard let type = TestJSON.string(TestJSON.field(.object(fields), "type")) else {
            error(.testMalformedEvent, "event \(index) has no `type`", at: node.span)
            return nil
        }
        func fill(_ key: String, _ value: JSONValue) {
            if !fields.contains(where: { $0.0 == key }) { fields.append((key, value)) }
        }
        fill("specversion", .string("1.0"))
        fill("id", .string("e\(index)"))
        fill("source", .string("flowc-test"))
        fill("time", .string(Self.time(index: index)))
        for key in ["id", "source", "time", "specversion"] where TestJSON.string(TestJSON.field(.object(fields), key)) == nil {
            error(.testMalformedEvent, "`\(key)` of an event is a string", at: node[key]?.span ?? node.span)
            return nil
        }
        let id = TestJSON.string(TestJSON.field(.object(fields), "id")) ?? ""
        return TestEvent(id: id, type: type, line: JSONValue.object(fields).serialized(), span: node.span)
    }

    /// `*.yaml` and `*.yml` below a folder, without test files, sorted: as `flowc lint` finds them.
    static func flowFiles(inFolder folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        for case let relative as String in walker {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            if (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasSuffix(".test.yaml") && !name.hasSuffix(".test.yml") {
                found.append(folder + "/" + relative)
            }
        }
        return found.sorted()
    }

    static func time(index: Int) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(startSeconds + Int64(index - 1) * 60))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    private mutating func decodeCanned(_ node: YAMLNode) -> CannedResponse? {
        guard node.mapping != nil else {
            error(.testFileStructure, "a canned response is a mapping with `url` and `status`", at: node.span)
            return nil
        }
        checkKeys(node, Self.httpKeys)
        guard let url = node["url"]?.scalar?.value else {
            error(.testFileStructure, "a canned response needs a `url` (a glob, `*` matches anything)", at: node.span)
            return nil
        }
        var status = 200
        if let statusNode = node["status"] {
            guard let value = statusNode.scalar.flatMap({ Int($0.value) }), (100...599).contains(value) else {
                error(.testFileStructure, "`status` is an HTTP status between 100 and 599", at: statusNode.span)
                return nil
            }
            status = value
        }
        var headers: [(String, String)] = (node["headers"]?.mapping.map(Array.init) ?? []).map { ($0.key.scalar?.value.lowercased() ?? "", $0.value.scalar?.value ?? "") }
        var body: [UInt8] = []
        if let json = node["json"] {
            body = Array(TestJSON.value(json).serialized().utf8)
            if !headers.contains(where: { $0.0 == "content-type" }) { headers.append(("content-type", "application/json")) }
        } else if let text = node["body"]?.scalar?.value {
            body = Array(text.utf8)
        }
        return CannedResponse(method: node["method"]?.scalar?.value.uppercased(), url: url, status: status, headers: headers, body: body)
    }

    private mutating func decodeRun(_ node: YAMLNode, eventCount: Int) -> ExpectedRun? {
        checkKeys(node, Self.runKeys)
        guard let flow = node["flow"]?.scalar?.value else {
            error(.testFileStructure, "an expected run needs `flow`", at: node.span)
            return nil
        }
        var event: Int?
        if let eventNode = node["event"] {
            guard let index = eventNode.scalar.flatMap({ Int($0.value) }), (1...max(eventCount, 1)).contains(index), eventCount > 0 else {
                error(.testFileStructure, "`event` is a position in `events`, 1 to \(eventCount)", at: eventNode.span)
                return nil
            }
            event = index
        }
        let pairs = node["actions"]?.mapping.map(Array.init) ?? []
        let actions = pairs.map { (path: $0.key.scalar?.value ?? "", status: $0.value.scalar?.value ?? "") }
        return ExpectedRun(
            flow: flow, event: event, status: node["status"]?.scalar?.value, actions: actions, span: node.span,
            statusSpan: node["status"]?.span, actionSpans: pairs.map { (key: $0.key.span, value: $0.value.span) }
        )
    }

    private mutating func decodeEmit(_ node: YAMLNode) -> ExpectedEmit? {
        checkKeys(node, Self.emitKeys)
        return ExpectedEmit(type: node["type"]?.scalar?.value, subject: node["subject"]?.scalar?.value, data: node["data"].map(TestJSON.value), span: node.span)
    }

    private mutating func decodeRequest(_ node: YAMLNode) -> ExpectedRequest? {
        checkKeys(node, Self.requestKeys)
        let headers = (node["headers"]?.mapping.map(Array.init) ?? []).map { ($0.key.scalar?.value.lowercased() ?? "", $0.value.scalar?.value ?? "") }
        return ExpectedRequest(method: node["method"]?.scalar?.value.uppercased(), url: node["url"]?.scalar?.value, headers: headers, json: node["json"].map(TestJSON.value), span: node.span)
    }

    private mutating func expectedList<Item>(_ node: YAMLNode?, _ key: String, _ decode: (inout TestFileDecoder, YAMLNode) -> Item?) -> ExpectedList<Item>? {
        guard let node else { return nil }
        guard let items = list(node, key) else { return nil }
        var decoded: [Item] = []
        for item in items {
            guard item.mapping != nil else {
                error(.testFileStructure, "an entry of `\(key)` is a mapping", at: item.span)
                continue
            }
            if let value = decode(&self, item) { decoded.append(value) }
        }
        return ExpectedList(items: decoded, span: node.span)
    }

    private mutating func list(_ node: YAMLNode?, _ key: String) -> [YAMLNode]? {
        guard let node else { return nil }
        if node.scalar?.isNull == true { return [] }
        guard let items = node.sequence else {
            error(.testFileStructure, "`\(key)` is a list", at: node.span)
            return nil
        }
        return Array(items)
    }

    private mutating func names(_ node: YAMLNode?, _ key: String) -> [String: String] {
        guard let node else { return [:] }
        guard let entries = node.mapping else {
            error(.testFileStructure, "`\(key)` is a mapping of names to values", at: node.span)
            return [:]
        }
        var values: [String: String] = [:]
        for pair in entries { values[pair.key.scalar?.value ?? ""] = pair.value.scalar?.value ?? "" }
        return values
    }

    private mutating func checkKeys(_ node: YAMLNode, _ known: [String]) {
        for pair in node.mapping.map(Array.init) ?? [] {
            let key = pair.key.scalar?.value ?? ""
            guard !known.contains(key) else { continue }
            var diagnostic = Diagnostic.error(.testUnknownKey, "unknown key `\(key)`", at: pair.key.span)
            if let close = Suggestions.closest(to: key, in: known) {
                diagnostic = diagnostic.with(note: "did you mean `\(close)`?").with(fixIt: close, at: pair.key.span)
            }
            diagnostics.append(diagnostic)
        }
    }

    private mutating func error(_ code: DiagnosticCode, _ message: String, at span: SourceSpan, label: String? = nil) {
        diagnostics.append(.error(code, message, at: span, label: label))
    }
}
