import Foundation

/// One event of the app's log, read back: `TIME SOURCE LEVEL message key=value…` as soma's processes write it,
/// or a PostgreSQL server's line (`2026-12-01 10:00:00.123 UTC [pid] postgres:NAME LOG:  message`, the prefix
/// soma gives it), framed the same way. A line that is neither (a tool's output, a stack trace) continues the
/// event before it.
struct LogLine: Equatable {
    var time: Date?
    var source: String
    var level: Level
    var message: String
    /// As written in the file.
    var raw: String

    /// swift-log's levels, in order; PostgreSQL's map onto them.
    enum Level: String, CaseIterable, Comparable {
        case trace, debug, info, notice, warning, error, critical

        static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        init?(postgres word: String) {
            switch word {
            case "LOG", "INFO", "STATEMENT": self = .info
            case "NOTICE": self = .notice
            case "WARNING": self = .warning
            case "ERROR": self = .error
            case "FATAL", "PANIC": self = .critical
            default:
                guard word.hasPrefix("DEBUG") else { return nil }
                self = .debug
            }
        }
    }

    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The text as soma prints it: soma's own lines as written, PostgreSQL's reframed.
    var text: String {
        guard source.hasPrefix("postgres:"), let time else { return raw }
        return "\(time.formatted(Self.timeFormat)) \(source) \(level.rawValue) \(message)"
    }

    static func parse(_ raw: String, after previous: LogLine?) -> LogLine {
        if let own = soma(raw) { return own }
        if let server = postgres(raw, after: previous) { return server }
        return LogLine(time: previous?.time, source: previous?.source ?? "", level: previous?.level ?? .info, message: raw, raw: raw)
    }

    static func soma(_ raw: String) -> LogLine? {
        let parts = raw.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let time = try? Date(String(parts[0]), strategy: timeFormat),
              let level = Level(rawValue: String(parts[2])) else { return nil }
        return LogLine(time: time, source: String(parts[1]), level: level, message: parts.count > 3 ? String(parts[3]) : "", raw: raw)
    }

    static func postgres(_ raw: String, after previous: LogLine?) -> LogLine? {
        // 2026-12-01 10:00:00.123 UTC [4242] postgres:shop LOG:  database system is ready
        let parts = raw.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[2] == "UTC", parts[3].hasPrefix("["), parts[4].hasPrefix("postgres:"),
              let time = try? Date("\(parts[0])T\(parts[1])Z", strategy: timeFormat) else { return nil }
        let rest = parts[5]
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let word = String(rest[..<colon])
        // DETAIL, HINT and CONTEXT lines belong to the event before them, and keep its level.
        let level = Level(postgres: word) ?? previous?.level ?? .info
        let message = rest[rest.index(after: colon)...].drop { $0 == " " }
        return LogLine(time: time, source: String(parts[4]), level: level,
                       message: "\(Level(postgres: word) == nil ? word + ": " : "")\(message) pid=\(parts[3].dropFirst().dropLast())", raw: raw)
    }

    /// `{"time": …, "source": …, "level": …, "message": …}`, time in RFC 3339 or null.
    var json: [String: Any] {
        ["time": time.map { $0.formatted(Self.timeFormat) } ?? NSNull(), "source": source, "level": level.rawValue, "message": message]
    }
}
