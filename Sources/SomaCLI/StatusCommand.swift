import Foundation
import ArgumentParser
import SomaControl
import SomaLedger
import SomaProtocol

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Version, uptime, pids, restarts, address, and turns served and failed.",
        discussion: "Exit code 3 when the app does not exist or is not running.")

    @OptionGroup var selection: AppSelection
    @Flag(help: "Print the status as a JSON object.") var json = false

    func run() async throws {
        let home = try selection.resolve()
        if json && !home.isRunning, home.exists, let app = try? Ledger(readingAt: home.ledgerPath).app() {
            // Scripts read the state of a stopped or failed app too; the exit code still says it is not running.
            let state: AppState = app.state == "failed" ? .failed : .stopped
            print(try JSONOutput.text(StoppedStatusJSON(app: app.name, state: state, version: app.currentVersion, port: app.port, failure: app.failure)))
            throw ExitCode(CLIExit.noApp)
        }
        try home.requireRunning()
        let status: StatusReply
        do {
            status = try await ControlClient(path: home.controlSocket).status()
        } catch {
            throw CLIFailure("\(home.name) is not answering on its control socket: \(error)", code: CLIExit.noApp)
        }
        if json {
            print(try JSONOutput.text(status))
            return
        }
        print("\(status.app): \(status.state.rawValue)")
        let rows: [(String, String?)] = [
            ("version", String(status.version)), ("url", status.url),
            ("uptime", status.uptime.map(Self.duration)),
            ("supervisor", "pid \(status.supervisorPID)"), ("worker", status.workerPID.map { "pid \($0)" }),
            ("restarts", String(status.restarts)), ("turns", status.turns.map { "\($0) served, \(status.failed ?? 0) failed" }),
            ("failure", status.failure),
            ("set aside", status.setAside.flatMap { $0 == 0 ? nil : "\($0) effect(s) a resource refused for good (soma resources show NAME)" }),
            ("quarantined", status.quarantined.flatMap { $0 == 0 ? nil : "\($0) stored value(s) do not read; turns that touch them fail (soma repair)" }),
            ("nodes", Self.nodes(declared: status.replicasDeclared ?? 1)),
            ("control", status.control.map { "tcp \($0.address), TLS 1.3, certificate sha256 \($0.certificateSHA256)" }),
        ]
        for (label, value) in rows {
            guard let value else { continue }
            print("  \(label.padding(toLength: 12, withPad: " ", startingAt: 0))\(value)")
        }
    }

    /// One node runs, on this machine, whatever `scale` declares: said plainly until the cluster exists.
    static func nodes(declared: Int) -> String {
        declared > 1 ? "1 running (local); replicas: \(declared) declared" : "1 (local)"
    }

    static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        if seconds < 86400 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        return "\(seconds / 86400)d \(seconds % 86400 / 3600)h"
    }
}

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Call a face signal and print its JSON result (the same path as HTTP).",
        discussion: "Exit code 1 when the turn was refused or aborted; the error body goes to stderr.")

    @Argument(help: ArgumentHelp("The signal to call.", valueName: "CELL.SIGNAL")) var target: String
    @Argument(help: ArgumentHelp("The parameters as a JSON object.", valueName: "JSON")) var body: String = "{}"
    @OptionGroup var selection: AppSelection

    func validate() throws {
        let parts = target.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("the signal is written CELL.SIGNAL, as in Shop.place_order, not '\(target)'")
        }
    }

    func run() async throws {
        let home = try selection.resolve()
        try home.requireRunning()
        let parts = target.split(separator: ".").map(String.init)
        let reply = try await ControlClient(path: home.controlSocket).send(FaceCall(cell: parts[0], signal: parts[1], body: body))
        if reply.status == 200 {
            print(reply.body)
        } else {
            Terminal.err("HTTP \(reply.status) \(reply.body)\n")
            throw ExitCode(CLIExit.failed)
        }
    }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the program and its supervisor; its state stays for the next launch.")

    @OptionGroup var selection: AppSelection

    func run() async throws {
        let home = try selection.resolve()
        try home.requireRunning()
        try await ControlClient(path: home.controlSocket).stop()
        guard await home.waitUntilStopped(seconds: 20) else { throw CLIFailure("\(home.name) did not stop within 20 s") }
        print("stopped \(home.name)")
    }
}

/// `status --json` of an app no supervisor runs: what the ledger says (docs/schemas/status.schema.json).
struct StoppedStatusJSON: Encodable {
    var app: String
    var state: AppState
    @Nullable var version: Int?
    @Nullable var port: Int?
    @Nullable var failure: String?
}
