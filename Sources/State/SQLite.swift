internal import CSQLite

/// A failure reported by SQLite, with its (extended) result code and message.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    var primaryCode: Int32 { code & 0xFF }
    var description: String { "\(message) (SQLite code \(code))" }

    /// The file is not a database, or its pages are damaged.
    var isCorruption: Bool { primaryCode == SQLITE_NOTADB || primaryCode == SQLITE_CORRUPT }
}

/// One value read from or bound to a statement.
enum SQLiteValue: Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// One SQLite connection. Not thread-safe by itself: `StateStore` serializes every use.
final class SQLiteConnection {
    enum Mode {
        case readOnly
        /// Read-only, and SQLite may assume nobody changes the file: it then creates no `-wal` and
        /// `-shm` files. Only right when there is no `-wal` file, that is no open connection and no
        /// commit left outside the main file. Used to inspect a file before trusting it.
        case immutable
        case readWriteCreate
    }

    private let handle: OpaquePointer
    /// Statements prepared once and reused (reset between uses), keyed by their SQL.
    private var cache: [String: SQLiteStatement] = [:]

    init(path: String, mode: Mode) throws(SQLiteError) {
        var pointer: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var name = path
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .immutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
            name = Self.fileURI(path) + "?immutable=1"
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        let status = sqlite3_open_v2(name, &pointer, flags, nil)
        guard let pointer else {
            throw SQLiteError(code: status, message: "out of memory opening the database")
        }
        guard status == SQLITE_OK else {
            let error = SQLiteError(code: status, message: String(cString: sqlite3_errmsg(pointer)))
            sqlite3_close_v2(pointer)
            throw error
        }
        handle = pointer
    }

    /// A `file:` URI for a path: the characters URIs give a meaning to are escaped.
    static func fileURI(_ path: String) -> String {
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped.hasPrefix("/") ? "file://" + escaped : "file:" + escaped
    }

    deinit {
        for statement in cache.values { statement.finalize() }
        sqlite3_close_v2(handle)
    }

    private func error(_ status: Int32) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs SQL that returns no rows; may hold several statements.
    func execute(_ sql: String) throws(SQLiteError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status) }
    }

    /// A cached statement, reset and with its bindings cleared.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var pointer: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard status == SQLITE_OK, let pointer else { throw error(status) }
        let statement = SQLiteStatement(pointer: pointer, connection: self)
        cache[sql] = statement
        return statement
    }

    /// Runs one statement with parameters, ignoring rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
    }

    /// Runs one query and returns every row.
    func rows(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var rows: [[SQLiteValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map(statement.value(at:)))
        }
        return rows
    }

    /// Runs one query and hands each row to `body` without keeping them (large tables).
    func forEachRow(_ sql: String, _ values: [SQLiteValue] = [], _ body: ([SQLiteValue]) -> Void) throws(SQLiteError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {
            body((0..<statement.columnCount).map(statement.value(at:)))
        }
    }

    /// The first column of the first row, or nil when there is no row.
    func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteValue? {
        try rows(sql, values).first?.first
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    fileprivate func failure(_ status: Int32) -> SQLiteError { error(status) }
}

/// A prepared statement owned by its connection's cache.
final class SQLiteStatement {
    private let pointer: OpaquePointer
    private unowned let connection: SQLiteConnection
    private var finalized = false

    fileprivate init(pointer: OpaquePointer, connection: SQLiteConnection) {
        self.pointer = pointer
        self.connection = connection
    }

    fileprivate func finalize() {
        guard !finalized else { return }
        finalized = true
        sqlite3_finalize(pointer)
    }

    func reset() {
        sqlite3_reset(pointer)
        sqlite3_clear_bindings(pointer)
    }

    func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(pointer, index)
            case .integer(let number): status = sqlite3_bind_int64(pointer, index, number)
            case .real(let number): status = sqlite3_bind_double(pointer, index, number)
            case .text(let text): status = Self.bindText(text, to: pointer, at: index)
            }
            guard status == SQLITE_OK else { throw connection.failure(status) }
        }
    }

    /// Binds one value without building an array (rows inserted by the thousand).
    func bind(text: String, at index: Int32) throws(SQLiteError) {
        let status = Self.bindText(text, to: pointer, at: index)
        guard status == SQLITE_OK else { throw connection.failure(status) }
    }

    func bind(integer: Int64, at index: Int32) throws(SQLiteError) {
        let status = sqlite3_bind_int64(pointer, index, integer)
        guard status == SQLITE_OK else { throw connection.failure(status) }
    }

    /// Binds with an explicit length, so text holding NUL characters is kept whole.
    private static func bindText(_ text: String, to pointer: OpaquePointer, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                return sqlite3_bind_text(pointer, index, "", 0, transient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                sqlite3_bind_text(pointer, index, $0, Int32(buffer.count), transient)
            }
        }
    }

    /// True while there is a row to read.
    func step() throws(SQLiteError) -> Bool {
        let status = sqlite3_step(pointer)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(status)
        }
    }

    var columnCount: Int { Int(sqlite3_column_count(pointer)) }

    func value(at column: Int) -> SQLiteValue {
        let index = Int32(column)
        switch sqlite3_column_type(pointer, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(pointer, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(pointer, index))
        case SQLITE_NULL: return .null
        default:
            let count = Int(sqlite3_column_bytes(pointer, index))
            guard let bytes = sqlite3_column_text(pointer, index), count > 0 else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
    }
}

/// SQLite copies bound text at once (`SQLITE_TRANSIENT`), so Swift may free its buffer after the call.
private nonisolated(unsafe) let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension SQLiteValue {
    var integer: Int64? {
        switch self {
        case .integer(let number): number
        case .real(let number): Int64(exactly: number)
        default: nil
        }
    }

    var real: Double? {
        switch self {
        case .integer(let number): Double(number)
        case .real(let number): number
        default: nil
        }
    }

    var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    static func optional(_ text: String?) -> SQLiteValue { text.map(SQLiteValue.text) ?? .null }
    static func optional(_ number: Int64?) -> SQLiteValue { number.map(SQLiteValue.integer) ?? .null }
}
