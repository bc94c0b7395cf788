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
        let ledger = try Ledger(path: home.ledgerPath)
        let current = try ledger.app()?.currentVersion
        let versions = try ledger.versions().filter { $0.state == "active" }
        if json {
            let objects: [[String: Any]] = versions.map { version in
                var object: [String: Any] = ["number": version.number, "hash": version.hash, "entry": version.entry,
                                             "created_at": version.createdAt, "current": version.number == current]
                if let activated = version.activatedAt { object["activated_at"] = activated }
                if let milliseconds = version.swapMilliseconds { object["swap_milliseconds"] = milliseconds }
                if let restores = version.restores { object["restores"] = restores }
                if let plan = version.plan, let parsed = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) { object["plan"] = parsed }
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("VERSION  ENTRY            HASH              SINCE                          SWAP")
        for version in versions {
            let marker = version.number == current ? "*" : " "
            var swap = version.swapMilliseconds.map { String(format: "%.1f ms", $0) } ?? (version.number == versions.first?.number ? "launch" : "-")
            if let restores = version.restores { swap += " (rollback to the code of \(restores))" }
            print("\(marker)\(String(version.number).padding(toLength: 8, withPad: " ", startingAt: 0)) "
                  + "\(version.entry.padding(toLength: 16, withPad: " ", startingAt: 0)) \(version.hash.padding(toLength: 17, withPad: " ", startingAt: 0)) "
                  + "\((version.activatedAt ?? version.createdAt).padding(toLength: 30, withPad: " ", startingAt: 0)) \(swap)")
        }
    }
}
