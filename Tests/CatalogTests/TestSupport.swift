import Foundation

/// The repository's root, found from this file so the tests run from any directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func yamlFiles(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }
        .sorted()
        .map { folder.appendingPathComponent($0).path }
}

struct ProcessResult {
    var status: Int32
    var output: String
}

/// Runs a program found on PATH; `output` is stdout and, unless `keepErrors` is false, stderr.
func run(_ arguments: [String], keepErrors: Bool = true) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = keepErrors ? pipe : FileHandle.nullDevice
    try process.run()
    // Read before waiting: a full pipe would block the child forever.
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// Whether `python3` can be run; the tests that need it fail with a clear message when not.
func pythonAvailable() -> Bool {
    guard let result = try? run(["python3", "--version"]) else { return false }
    return result.status == 0
}
