import Foundation
import SomaChecker
import SomaControl
import SomaLedger
import SomaProtocol
import SomaSupervisor

/// `soma launch` of edited code under the name of a stopped app: the stored version starts with its face
/// closed, and the new code replaces it exactly as `soma swap` would, planned by the worker against the live
/// data. Refused or not confirmed, the app is stopped again at its version, its face never opened.
extension LaunchCommand {
    /// The static half, before anything starts: the new code must check against the stored version.
    func checkAgainstStored(_ stored: VersionRecord, ledger: Ledger, home: AppHome) throws {
        if foreground {
            throw CLIFailure("\(home.name) is stopped at version \(stored.number) and this file holds other code; a foreground launch cannot ask to replace it",
                             hint: "launch it detached (without --foreground) to plan the swap, or run this one beside it with --name")
        }
        let storedEntry = try VersionFiles.materialize(ledger, home: home, version: stored.number, entry: stored.entry)
        guard let outcome = SomaCheck.check(path: file, against: storedEntry) else { throw CLIFailure("cannot read '\(file)'") }
        if outcome.hasErrors {
            print(CheckReport(outcome).text())
            throw CLIFailure("\(file) cannot replace version \(stored.number) of \(home.name): \(outcome.errorCount) error\(outcome.errorCount == 1 ? "" : "s"); nothing was started")
        }
    }

    func replaceAtStart(_ stored: VersionRecord, with bundle: ProgramBundle, home: AppHome, progress: ProvisioningProgress) async throws {
        try await waitUntilServing(home, version: stored.number, progress: progress, until: .held)
        print("\(home.name) is stopped at version \(stored.number), and \(file) holds other code: it replaces that version as a swap does")
        var session = try await SwapSession(home: home, options: try SwapOptions.parse(yes ? ["--yes"] : []))
        session.needsYesOffTerminal = true
        let applied: Bool
        do {
            applied = try await session.run(bundle.code)
        } catch let failure as CLIFailure {
            await stopAgain(home)
            throw CLIFailure("\(failure.message); \(home.name) is stopped again at version \(stored.number)", code: failure.code, hint: failure.hint)
        } catch {
            await stopAgain(home)
            throw error
        }
        guard applied else {
            await stopAgain(home)
            throw CLIFailure("\(home.name) is stopped again at version \(stored.number)", hint: "`soma launch \(file) --yes` applies the plan")
        }
        let version = try await ControlClient(path: home.controlSocket).status().version
        try await waitUntilServing(home, version: version, progress: progress)
    }

    /// Back to how the app was: stopped, at its version.
    func stopAgain(_ home: AppHome) async {
        try? await ControlClient(path: home.controlSocket).stop()
        await home.waitUntilStopped(seconds: 20)
    }
}
