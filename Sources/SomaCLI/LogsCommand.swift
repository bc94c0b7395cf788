import ArgumentParser
import Foundation

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "The program's and the supervisor's log, one event a line.")

    @OptionGroup var selection: AppSelection
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come.") var follow = false
    @Option(help: ArgumentHelp("Only lines from this long ago: 30s, 10m, 2h, 1d.", valueName: "DURATION")) var since: String?

    func validate() throws {
        if let since, Self.seconds(since) == nil {
            throw ValidationError("--since takes a duration such as 30s, 10m, 2h or 1d, not '\(since)'")
        }
    }

    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            if let amount = Double(text.dropLast(unit.count)), amount >= 0 { return amount * factor }
        }
        return nil
    }

    func run() async throws {
        let home = try selection.resolve()
        let start = since.flatMap(Self.seconds).map { Date().addingTimeInterval(-$0) }
        let log = LogFile(path: home.logPath)
        for line in LogFile.filter(log.lines(), since: start) { print(line) }
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
            if let newline = pending.lastIndex(of: 0x0A) {
                Terminal.out(pending[pending.startIndex...newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
    }
}
