import Foundation
@testable import State

/// A temporary folder for one test's state files, removed at deinit.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("flowc-state-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The names of the files in the folder, sorted.
    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Runs SQL directly on a file, as another program (or an older flowc) would.
func withRawDatabase<T>(_ path: String, _ body: (SQLiteConnection) throws -> T) throws -> T {
    let connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
    return try body(connection)
}

func fileBytes(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

/// What the store threw, for `#expect(thrown == ...)`.
func openError(_ path: String) -> StateError? {
    do {
        _ = try StateStore.open(path: path)
        return nil
    } catch {
        return error
    }
}

extension Date {
    static func at(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: seconds) }
}
