import ArgumentParser
import Foundation

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "The program's and the supervisor's log, one event a line.",
        discussion: """
            Each line is `TIME SOURCE LEVEL message`. Sources are supervisor, worker, queue:NAME and postgres:NAME \
            (a PostgreSQL server's own lines, framed the same way). Filters combine: --since, --level, --source and \
            --grep choose the events, then -n keeps the last N of them.
            """)

    @OptionGroup var selection: AppSelection
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come.") var follow = false
    @Option(help: ArgumentHelp("Only lines from this long ago: 30s, 10m, 2h, 1d.", valueName: "DURATION")) var since: String?
    @Option(help: ArgumentHelp("Only events at this level or above: trace, debug, info, notice, warning, error, critical.", valueName: "LEVEL"))
    var level: String?
    @Option(help: ArgumentHelp("Only events from this source: supervisor, worker, queue:NAME, postgres:NAME (a prefix such as queue matches every queue).",
                               valueName: "SOURCE"))
    var source: String?
    @Option(help: ArgumentHelp("Only events whose line matches this regular expression.", valueName: "PATTERN")) var grep: String?
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Only the last N events (before following).", valueName: "N")) var lines: Int?
    @Flag(help: "Print each event as a JSON object, one a line: time (RFC 3339), source, level, message.") var json = false

    func validate() throws {
        if let since, Self.seconds(since) == nil {
            throw ValidationError("--since takes a duration such as 30s, 10m, 2h or 1d, not '\(since)'")
        }
        if let level, LogLine.Level(rawValue: level) == nil {
            throw ValidationError("--level takes one of \(LogLine.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(level)'")
        }
        if let grep, (try? NSRegularExpression(pattern: grep)) == nil {
            throw ValidationError("--grep takes a regular expression; '\(grep)' is not one")
        }
        if let lines, lines < 0 { throw ValidationError("-n takes a count of 0 or more, not \(lines)") }
    }

    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            if let amount = Double(text.dropLast(unit.count)), amount >= 0 { return amount * factor }
        }
        return nil
    }

    /// The filters as one pure choice over parsed events, so `-f` applies the same ones to what comes later.
    struct Filter {
        var since: Date?
        var level: LogLine.Level?
        var source: String?
        var pattern: NSRegularExpression?

        func keeps(_ event: LogLine) -> Bool {
            if let since, let time = event.time, time < since { return false }
            if let level, event.level < level { return false }
            if let source, event.source != source && !event.source.hasPrefix(source + ":") { return false }
            if let pattern, pattern.firstMatch(in: event.raw, range: NSRange(event.raw.startIndex..., in: event.raw)) == nil { return false }
            return true
        }
    }

    func run() async throws {
        let home = try selection.resolve()
        let filter = Filter(since: since.flatMap(Self.seconds).map { Date().addingTimeInterval(-$0) }, level: level.flatMap { LogLine.Level(rawValue: $0) },
                            source: source, pattern: grep.flatMap { try? NSRegularExpression(pattern: $0) })
        var previous: LogLine?
        var chosen: [LogLine] = []
        for raw in LogFile(path: home.logPath).lines() {
            let event = LogLine.parse(raw, after: previous)
            previous = event
            if filter.keeps(event) { chosen.append(event) }
        }
        if let lines { chosen = Array(chosen.suffix(lines)) }
        for event in chosen { emit(event) }
        guard follow else { return }
        guard let handle = FileHandle(forReadingAtPath: home.logPath) else { return }
        handle.seekToEndOfFile()
        var pending = Data()
        while !Task.isCancelled {
            let chunk = handle.availableData
            if chunk.isEmpty {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            pending.append(chunk)
            guard let newline = pending.lastIndex(of: 0x0A) else { continue }
            for raw in String(decoding: pending[pending.startIndex..<newline], as: UTF8.self).split(separator: "\n") {
                let event = LogLine.parse(String(raw), after: previous)
                previous = event
                if filter.keeps(event) { emit(event) }
            }
            pending.removeSubrange(pending.startIndex...newline)
        }
    }

    func emit(_ event: LogLine) {
        if json {
            let data = (try? JSONSerialization.data(withJSONObject: event.json, options: [.sortedKeys])) ?? Data("{}".utf8)
            Terminal.out(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            Terminal.out(event.text + "\n")
        }
    }
}
