import Catalog
import Testing

@Suite struct CatalogTypeTests {
    @Test(arguments: [
        "int", "uint", "double", "bool", "string", "bytes", "timestamp", "duration", "dyn", "null_type",
        "list(string)", "list(list(int))", "map(string, string)", "map(string, list(dyn))",
        "{code: string, message: string}", "{}",
        "list({name: string, status: string, completedAt?: timestamp})",
        "{attempts: int, backoff: string, delay: duration, max_delay: duration}",
        "map(string, {a?: int, b: list(bool)})",
    ])
    func roundTrips(_ text: String) throws {
        let type = try CatalogType.parse(text)
        #expect(type.description == text)
        #expect(try CatalogType.parse(type.description) == type)
    }

    @Test func spacesAreIgnoredAndPrintingNormalizes() throws {
        let type = try CatalogType.parse("  map( string ,list( int ) )")
        #expect(type == .map(.string, .list(.int)))
        #expect(type.description == "map(string, list(int))")
    }

    @Test func anyIsDyn() throws {
        #expect(try CatalogType.parse("any") == .dyn)
    }

    @Test func recordFieldsKeepOrderAndOptionality() throws {
        let type = try CatalogType.parse("{name: string, completedAt?: timestamp}")
        #expect(type == .record([
            .init(name: "name", type: .string, optional: false),
            .init(name: "completedAt", type: .timestamp, optional: true),
        ]))
    }

    @Test(arguments: [
        "", "strng", "list", "list(", "list(int", "list()", "map(string)", "map(string, int", "map(, int)",
        "{name string}", "{name: }", "{name: string", "int int", "list(int))", "{: int}", "List(int)",
        "int?", "timestamp,",
    ])
    func rejects(_ text: String) {
        #expect(throws: CatalogError.self, "`\(text)` should not parse") { _ = try CatalogType.parse(text) }
    }

    @Test func recordFromCatalogFields() throws {
        let event = try #require(Catalog.standard.event("datasource.refresh"))
        guard case .record(let fields) = try CatalogType.record(event.fields) else {
            Issue.record("not a record")
            return
        }
        #expect(fields.map(\.name) == ["datasource", "status", "startedAt", "completedAt", "rowCount", "error"])
        #expect(fields.first { $0.name == "error" }?.type == .record([
            .init(name: "code", type: .string, optional: false),
            .init(name: "message", type: .string, optional: false),
        ]))
        #expect(fields.first { $0.name == "rowCount" }?.optional == true)
    }
}
