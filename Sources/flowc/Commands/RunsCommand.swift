import ArgumentParser
import Foundation
import State

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Show the run history kept in a state file.",
        discussion: """
            Reads the state file that `flowc run --state FILE` writes (default \(StateFileOption.defaultPath)), \
            read-only and without waiting for a run that is using it. Exit codes: 0, 2 usage error, \
            unreadable state file or unknown run id.
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )
}

struct StateFileOption: ParsableArguments {
    static let defaultPath = ".flowc/state.db"

    @Option(name: .long, help: ArgumentHelp("The state file written by `flowc run --state FILE`.", valueName: "FILE"))
    var state: String = StateFileOption.defaultPath

    func openStore() throws -> StateStore {
        do {
            return try StateStore.openForReading(path: state)
        } catch {
            var message = "error: \(error.description)"
            if case .notFound = error, state == Self.defaultPath {
                message += " (pass the file given to `flowc run --state` with `--state FILE`)"
            }
            Terminal.printError(message)
            throw ExitCode(2)
        }
    }
}

extension Runs {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first.")

        @OptionGroup var stateFile: StateFileOption

        @Option(help: ArgumentHelp("Only runs of this flow.", valueName: "NAME"))
        var flow: String?

        @Option(help: ArgumentHelp("Only runs with this status (succeeded, failed, running, ...).", valueName: "S"))
        var status: String?

        @Option(help: "At most this many runs.")
        var limit: Int = 50

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let store = try stateFile.openStore()
            let runs: [RunSummary]
            do {
                runs = try store.runs(RunFilter(flow: flow, status: status, limit: limit))
            } catch {
                Terminal.printError("error: \(error.description)")
                throw ExitCode(2)
            }
            guard !runs.isEmpty else {
                print("no runs in \(stateFile.state)" + (flow != nil || status != nil ? " match the filter" : ""))
                return
            }
            var table = TextTable(header: ["RUN", "FLOW", "STATUS", "EVENT", "STARTED", "DURATION", "ACTIONS"])
            for run in runs {
                table.append([
                    run.id, run.flow, run.status, run.event.type, RunTimes.timestamp(run.startedAt),
                    RunTimes.duration(from: run.startedAt, to: run.finishedAt), String(run.actionCount),
                ])
            }
            print(table.rendered(), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run with its actions.")

        @OptionGroup var stateFile: StateFileOption

        @Argument(help: ArgumentHelp("The run's id, as `flowc runs` lists it.", valueName: "RUN-ID"))
        var runID: String

        func run() throws {
            let store = try stateFile.openStore()
            let record: StoredRun?
            do {
                record = try store.run(id: runID)
            } catch {
                Terminal.printError("error: \(error.description)")
                throw ExitCode(2)
            }
            guard let record else {
                Terminal.printError("error: no run `\(runID)` in \(stateFile.state)\nrun `flowc runs` for the list of runs")
                throw ExitCode(2)
            }
            print(Self.render(record), terminator: "")
        }

        static func render(_ run: StoredRun) -> String {
            var summary = TextTable(header: nil)
            summary.append(["run", run.id])
            summary.append(["flow", run.flow])
            summary.append(["event", "\(run.event.type) (source \(run.event.source), id \(run.event.id))"])
            summary.append(["status", run.status])
            if let message = run.message { summary.append(["message", message]) }
            summary.append(["started", RunTimes.timestamp(run.startedAt, milliseconds: true)])
            if let finished = run.finishedAt {
                summary.append(["finished", RunTimes.timestamp(finished, milliseconds: true)
                    + " (" + RunTimes.duration(from: run.startedAt, to: finished) + ")"])
            } else {
                summary.append(["finished", "-"])
            }
            var text = summary.rendered()
            guard !run.actions.isEmpty else { return text + "\nno actions\n" }
            var actions = TextTable(header: ["ACTION", "STATUS", "ATTEMPTS", "STARTED", "DURATION", "ERROR"])
            for action in run.actions {
                actions.append([
                    action.path, action.status, String(action.attempts),
                    action.startedAt.map { RunTimes.timestamp($0, milliseconds: true) } ?? "-",
                    action.startedAt.map { RunTimes.duration(from: $0, to: action.finishedAt) } ?? "-",
                    action.error.map { "\($0.code): \($0.message)" } ?? "",
                ])
            }
            text += "\n" + actions.rendered()
            return text
        }
    }
}

/// Columns padded to their widest cell, two spaces apart, with no trailing spaces.
struct TextTable {
    private var rows: [[String]] = []

    init(header: [String]?) {
        if let header { rows.append(header) }
    }

    mutating func append(_ row: [String]) {
        // One cell per line: a newline inside a value (an error message) would break the columns.
        rows.append(row.map { $0.replacingOccurrences(of: "\n", with: " ") })
    }

    func rendered() -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(widths[index]) }
            var line = cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

/// How `flowc runs` shows times: UTC, RFC 3339; durations in the largest sensible unit.
enum RunTimes {
    static func timestamp(_ date: Date, milliseconds: Bool = false) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down).clamped(to: -1e17...1e17))
        var seconds = time_t(totalMilliseconds.floorDivided(by: 1000))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "?" }
        let base = String(format: "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        guard milliseconds else { return base + "Z" }
        return base + String(format: ".%03ldZ", Int(totalMilliseconds - totalMilliseconds.floorDivided(by: 1000) * 1000))
    }

    /// `-` while the run is still going (no finish time).
    static func duration(from start: Date, to end: Date?) -> String {
        guard let end else { return "-" }
        let seconds = max(0, end.timeIntervalSince(start))
        guard seconds.isFinite else { return "?" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(min(seconds, 1e15))
        if whole < 3600 { return String(format: "%ldm%02lds", whole / 60, whole % 60) }
        return String(format: "%ldh%02ldm", whole / 3600, whole % 3600 / 60)
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double {
        guard isFinite else { return 0 }
        return Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
