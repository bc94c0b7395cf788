import Foundation

/// The app's log: one event a line, each starting with its RFC 3339 time.
struct LogFile {
    let path: String

    func lines() -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    func lastLines(_ count: Int) -> [String] {
        Array(lines().suffix(count))
    }

    /// Lines at or after `since` (lines without a time stay with the line before them).
    static func filter(_ lines: [String], since: Date?) -> [String] {
        guard let since else { return lines }
        var keep = false
        return lines.filter { line in
            if let space = line.firstIndex(of: " "),
               let time = try? Date(String(line[..<space]), strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
                keep = time >= since
            }
            return keep
        }
    }
}
