import ArgumentParser
import Foundation
import SomaControl
import SomaLedger

struct VersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions",
        abstract: "The app's version history: each version's entry file, hash, when it ran first and how its swap went.")

    @OptionGroup var selection: AppSelection
    @Flag(help: "Print the versions as JSON.") var json = false

    func run() async throws {
        let home = try selection.resolve()
        let versions = try await AppRecords.versions(home)
        if json {
            let objects: [[String: Any]] = try versions.map { version in
                var object: [String: Any] = ["number": version.number, "hash": version.hash, "entry": version.entry,
                                             "created_at": version.createdAt, "current": version.current]
                // Absent values are null, not left out (docs/schemas/versions.schema.json).
                object["activated_at"] = version.activatedAt ?? NSNull()
                object["swap_milliseconds"] = version.swapMilliseconds ?? NSNull()
                object["restores"] = version.restores ?? NSNull()
                object["plan"] = try version.plan.map { try JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) } ?? NSNull()
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var rows: [[String]] = [["", "VERSION", "ENTRY", "HASH", "SINCE", "SWAP"]]
        for version in versions {
            var swap = version.swapMilliseconds.map { String(format: "%.1f ms", $0) } ?? (version.number == versions.first?.number ? "launch" : "-")
            if let restores = version.restores { swap += " (rollback to the code of \(restores))" }
            rows.append([version.current ? "*" : " ", String(version.number), version.entry, version.hash,
                         version.activatedAt ?? version.createdAt, swap])
        }
        print(Self.aligned(rows))
    }

    /// Columns padded to their widest cell; the marker column is one character and sits against the number.
    static func aligned(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                if index == row.count - 1 { return cell }
                return cell.padding(toLength: widths[index] + (index == 0 ? 0 : 2), withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}
