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
}
