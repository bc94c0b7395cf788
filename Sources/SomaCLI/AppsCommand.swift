import ArgumentParser
import Foundation
import SomaControl
import SomaLedger

struct AppsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps",
        abstract: "The apps under this SOMA_HOME and their state.")

    @Flag(help: "Print the apps as a JSON array.") var json = false

    func run() throws {
        var rows: [[String: String]] = []
        for name in AppSelection.appNames() {
            let home = AppHome(somaHome: AppHome.somaHome, name: name)
            let app = try? Ledger(path: home.ledgerPath).app()
            let state = home.isRunning ? "running" : ((app?.state == "failed") ? "failed" : "stopped")
            rows.append(["name": name, "state": state, "version": app?.currentVersion.map(String.init) ?? "-",
                         "port": app?.port.map(String.init) ?? "-", "home": home.path])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !rows.isEmpty else {
            print("no apps under \(AppHome.somaHome)")
            return
        }
        print("NAME".padding(toLength: 20, withPad: " ", startingAt: 0) + "STATE     VERSION  PORT")
        for row in rows {
            print(row["name"]!.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + row["state"]!.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + row["version"]!.padding(toLength: 9, withPad: " ", startingAt: 0) + row["port"]!)
        }
    }
}
