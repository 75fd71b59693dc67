/// Why a state file cannot be opened or used. `description` is the message for the user.
public enum StateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds the store's lock.
    case inUse(path: String, pid: Int32?)
    /// The file's schema is newer than this flowc knows.
    case newerSchema(path: String, found: Int, known: Int)
    /// The file is not a SQLite database, or fails SQLite's integrity check. It was left untouched.
    case corrupt(path: String, detail: String)
    /// The file is a SQLite database of another application. It was left untouched.
    case foreign(path: String, detail: String)
    /// Reading needs an existing state file.
    case notFound(path: String)
    /// The lock file or the database could not be opened, read or written.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .inUse(let path, let pid):
            let owner = pid.map { " (pid \($0))" } ?? ""
            return "state file \(path) is in use by another flowc run\(owner)"
        case .newerSchema(let path, let found, let known):
            return "state file \(path) was written by a newer flowc (schema \(found); this flowc knows \(known))"
        case .corrupt(let path, let detail):
            return "state file \(path) is damaged and was left untouched: \(detail)"
        case .foreign(let path, let detail):
            return "\(path) is not a flowc state file and was left untouched: \(detail)"
        case .notFound(let path):
            return "no state file at \(path)"
        case .io(let path, let detail):
            return "state file \(path): \(detail)"
        }
    }
}
