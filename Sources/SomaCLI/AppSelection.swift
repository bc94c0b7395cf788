import ArgumentParser
import Foundation
import SomaChecker
import SomaControl
import SomaLedger
import SomaProtocol

/// `--app NAME`, defaulting to the only app under SOMA_HOME.
struct AppSelection: ParsableArguments {
    @Option(help: "The app to act on (default: the only app under SOMA_HOME).")
    var app: String?

    func resolve() throws -> AppHome {
        let appsFolder = (AppHome.somaHome as NSString).appendingPathComponent("apps")
        if let app {
            let home = AppHome(somaHome: AppHome.somaHome, name: app)
            guard SafeName.isValid(app), home.exists else {
                throw CLIFailure("no app named '\(app)' under \(appsFolder)", code: CLIExit.noApp, hint: "soma apps lists them")
            }
            return home
        }
        let names = Self.appNames()
        guard !names.isEmpty else {
            throw CLIFailure("no apps under \(appsFolder)", code: CLIExit.noApp, hint: "start one with: soma launch app.cell")
        }
        guard names.count == 1 else {
            throw CLIFailure("there are \(names.count) apps (\(names.joined(separator: ", "))): say which with --app NAME", code: CLIExit.usage)
        }
        return AppHome(somaHome: AppHome.somaHome, name: names[0])
    }

    static func appNames() -> [String] {
        let appsFolder = (AppHome.somaHome as NSString).appendingPathComponent("apps")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: appsFolder)) ?? []
        return names.filter { AppHome(somaHome: AppHome.somaHome, name: $0).exists }.sorted()
    }
}

/// A command's failure with its exit code and what to do next; printed to stderr.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    var hint: String?

    init(_ message: String, code: Int32 = CLIExit.failed, hint: String? = nil) {
        self.message = message
        self.code = code
        self.hint = hint
    }

    var description: String {
        hint.map { "error: \(message)\n  hint: \($0)" } ?? "error: \(message)"
    }
}

extension AppHome {
    /// Whether a supervisor runs for this app now.
    var isRunning: Bool { FileLock.isHeld(path: supervisorLock) }

    /// Starts a supervisor that waits for orders, and gives it `order` once it answers. A supervisor that is
    /// running already (another command started one) is given the order too.
    /// `whileItStarts` runs once a supervisor is spawned, before the first attempt to reach it.
    func orderSupervisor<Reply: Sendable>(whileItStarts prepare: () -> Void = {}, _ order: (ControlClient) async throws -> Reply) async throws -> Reply {
        if !isRunning {
            _ = try DetachedProcess.spawn(DetachedProcess.currentExecutable, arguments: ["supervise", "--home", path, "--idle"],
                                          logPath: logPath)
            prepare()
        }
        let client = ControlClient(path: controlSocket)
        let deadline = Date().addingTimeInterval(20)
        while true {
            do {
                return try await order(client)
            } catch let failure as ProtocolFailure {
                throw CLIFailure(failure.message, hint: failure.hint)
            } catch {
                guard Date() < deadline else {
                    throw CLIFailure("the supervisor of \(name) did not answer: \(error)", hint: "soma logs --app \(name) says why")
                }
                // A refused connection costs microseconds; the supervisor listens tens of ms after its spawn.
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    /// Waits (up to `seconds`) until no supervisor runs for this app; says whether none does.
    @discardableResult
    func waitUntilStopped(seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !isRunning
    }

    func requireRunning() throws {
        guard isRunning else {
            let state = (try? Ledger(readingAt: ledgerPath).app()) ?? nil
            let detail = state?.state == "failed" ? "failed: \(state?.failure ?? "see soma logs")" : "is stopped"
            throw CLIFailure("\(name) \(detail)", code: CLIExit.noApp,
                             hint: state?.state == "failed" ? "soma logs --app \(name) shows why; fix it, then soma launch" : "start it with: soma launch")
        }
    }
}
