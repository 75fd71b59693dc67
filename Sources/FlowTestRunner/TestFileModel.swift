import Diagnostics
import Foundation
import YAML

/// One `*.test.yaml` file, decoded.
public struct FlowTestFile: Sendable {
    public var path: String
    public var source: SourceFile
    /// Flow file paths, resolved against the test file's folder, with the span of each entry.
    public var flowFiles: [(path: String, span: SourceSpan)]
    public var env: [String: String]
    /// `secrets.NAME` values; redacted as in `flowc run`.
    public var secrets: [String: String]
    public var tests: [FlowTestCase]
}

public struct FlowTestCase: Sendable {
    public var name: String
    public var span: SourceSpan
    var events: [TestEvent]
    var http: [CannedResponse]
    var expect: Expectations
}

struct TestEvent: Sendable {
    var id: String
    var type: String
    var line: String
    var span: SourceSpan
}

struct CannedResponse: Sendable {
    var method: String?
    var url: String
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
}

struct Expectations: Sendable {
    var runs: ExpectedList<ExpectedRun>?
    var emitted: ExpectedList<ExpectedEmit>?
    var requests: ExpectedList<ExpectedRequest>?
}

struct ExpectedList<Item: Sendable>: Sendable {
    var items: [Item]
    var span: SourceSpan
}

struct ExpectedRun: Sendable {
    var flow: String
    var event: Int?
    var status: String?
    var actions: [(path: String, status: String)]
    var span: SourceSpan
    var statusSpan: SourceSpan?
    /// The span of each `actions` key, then of its value, in the order of `actions`.
    var actionSpans: [(key: SourceSpan, value: SourceSpan)]
}

struct ExpectedEmit: Sendable {
    var type: String?
    var subject: String?
    var data: JSONValue?
    var span: SourceSpan
}

struct ExpectedRequest: Sendable {
    var method: String?
    var url: String?
    var headers: [(String, String)]
    var json: JSONValue?
    var span: SourceSpan
}
