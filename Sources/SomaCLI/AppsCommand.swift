import ArgumentParser
import Foundation
import SomaControl
import SomaLedger
import SomaProtocol

struct AppsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps",
        abstract: "The apps under this SOMA_HOME and their state.")

    @Flag(help: "Print the apps as a JSON array.") var json = false

    func run() async throws {
        var apps: [AppJSON] = []
        for name in AppSelection.appNames() {
            let home = AppHome(somaHome: AppHome.somaHome, name: name)
            // A running app's supervisor says; a stopped one's ledger is read.
            if home.isRunning, let status = try? await ControlClient(path: home.controlSocket).status(timeout: .seconds(2)) {
                apps.append(AppJSON(name: name, state: "running", version: status.version, port: status.port, home: home.path))
                continue
            }
            let app = try? Ledger(readingAt: home.ledgerPath).app()
            let state = home.isRunning ? "running" : ((app?.state == "failed") ? "failed" : "stopped")
            apps.append(AppJSON(name: name, state: state, version: app?.currentVersion, port: app?.port, home: home.path))
        }
        if json {
            print(try JSONOutput.text(apps))
            return
        }
        let rows = apps.map { app in
            ["name": app.name, "state": app.state, "version": app.version.map(String.init) ?? "-", "port": app.port.map(String.init) ?? "-"]
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

/// One app as `apps --json` prints it (docs/schemas/apps.schema.json).
struct AppJSON: Encodable {
    var name: String
    /// running, stopped or failed.
    var state: String
    @Nullable var version: Int?
    @Nullable var port: Int?
    var home: String
}
