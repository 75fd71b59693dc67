import Diagnostics
import Foundation

/// Finds the flow files named on the command line: files as given, folders searched
/// recursively for `*.yaml` and `*.yml`, skipping test files (`*.test.yaml`).
enum InputFiles {
    struct MissingPath: Error, CustomStringConvertible {
        var path: String
        var description: String { "no such file or folder: \(path)" }
    }

    static func flowFiles(in paths: [String]) throws -> [String] {
        try collect(paths) { name in
            (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasSuffix(".test.yaml") && !name.hasSuffix(".test.yml")
        }
    }

    static func testFiles(in paths: [String]) throws -> [String] {
        try collect(paths) { $0.hasSuffix(".test.yaml") || $0.hasSuffix(".test.yml") }
    }

    private static func collect(_ paths: [String], matching: (String) -> Bool) throws -> [String] {
        let manager = FileManager.default
        var found: [String] = []
        var seen = Set<String>()
        for path in paths {
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder) else { throw MissingPath(path: path) }
            if !isFolder.boolValue {
                if seen.insert(path).inserted { found.append(path) }
                continue
            }
            var inFolder: [String] = []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            if let walker = manager.enumerator(atPath: path) {
                for case let relative as String in walker {
                    let name = (relative as NSString).lastPathComponent
                    if name.hasPrefix(".") {
                        walker.skipDescendants()
                        continue
                    }
                    if matching(name) { inFolder.append(base + "/" + relative) }
                }
            }
            for file in inFolder.sorted() where seen.insert(file).inserted {
                var isSubfolder: ObjCBool = false
                if manager.fileExists(atPath: file, isDirectory: &isSubfolder), !isSubfolder.boolValue {
                    found.append(file)
                }
            }
        }
        return found
    }

    /// The file's bytes, or a diagnostic that says why it could not be read.
    enum ReadOutcome {
        case read(SourceFile)
        case unreadable(Diagnostic)
    }

    static func read(_ path: String) -> ReadOutcome {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.isReadableFile(atPath: path) ? "it could not be read" : "permission denied or not a file"
            return .unreadable(.error(.cannotReadFile, "cannot read `\(path)`: \(reason)", at: .whole(file: path)))
        }
        return .read(SourceFile(path: path, bytes: [UInt8](data)))
    }
}
