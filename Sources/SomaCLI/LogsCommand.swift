import ArgumentParser
import Foundation
import SomaProtocol

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

    /// The log is read in chunks from the supervisor where it runs (the home's file when none does), so the
    /// same reads serve an app on another machine, and `-f` goes on across a stop and a launch.
    func run() async throws {
        let home = try selection.resolve()
        let filter = Filter(since: since.flatMap(Self.seconds).map { Date().addingTimeInterval(-$0) }, level: level.flatMap { LogLine.Level(rawValue: $0) },
                            source: source, pattern: grep.flatMap { try? NSRegularExpression(pattern: $0) })
        var reader = Reader()
        var chosen: [LogLine] = []
        while true {
            let chunk = await AppRecords.logs(home, from: reader.offset)
            chosen += reader.take(chunk).filter(filter.keeps)
            if chunk.text.isEmpty || chunk.next >= chunk.size { break }
        }
        if let lines { chosen = Array(chosen.suffix(lines)) }
        for event in chosen { emit(event) }
        guard follow else { return }
        while !Task.isCancelled {
            let chunk = await AppRecords.logs(home, from: reader.offset)
            for event in reader.take(chunk) where filter.keeps(event) { emit(event) }
            if chunk.text.isEmpty || chunk.next >= chunk.size { try await Task.sleep(for: .milliseconds(200)) }
        }
    }

    /// Where the reading is, and the event before it: a line without a time of its own continues it.
    struct Reader {
        var offset = 0
        var previous: LogLine?

        mutating func take(_ chunk: LogChunk) -> [LogLine] {
            // Read again from its start: the log became shorter than where the last read ended.
            if chunk.from < offset { previous = nil }
            offset = chunk.next
            return chunk.text.split(separator: "\n", omittingEmptySubsequences: true).map { raw in
                let event = LogLine.parse(String(raw), after: previous)
                previous = event
                return event
            }
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
