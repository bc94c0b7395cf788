import Foundation
import ArgumentParser
import SomaControl
import SomaLedger
import SomaProtocol
import SomaRuntime
import SomaSupervisor

/// What `soma swap` and `soma rollback` share once the new code has checked: send it to the supervisor, which
/// records it as a pending version (the CLI writes nothing in the ledger) and answers the plan with live data;
/// print it, confirm on a terminal, apply. The supervisor refuses a second swap while one runs, and code
/// checked against a version that no longer runs.
struct SwapSession {
    var home: AppHome
    var current: Int
    /// The versions the app has run (as its supervisor has them), the one running now, and that one's entry
    /// file (written under code/vN, to check the new code against).
    var versions: [VersionSummary]
    var running: VersionSummary
    var runningEntry: String
    var options: SwapOptions
    var dryRun: Bool { options.dryRun }
    var yes: Bool { options.yes }
    var json: Bool { options.json }

    /// Off a terminal, apply only with `--yes` (a launch of new code; `soma swap` applies unasked there).
    var needsYesOffTerminal = false

    /// The selected app, which must be running, with its current version.
    init(_ selection: AppSelection, options: SwapOptions) async throws {
        try await self.init(home: try selection.resolve(), options: options)
    }

    init(home: AppHome, options: SwapOptions) async throws {
        self.home = home
        self.options = options
        try home.requireRunning()
        versions = try await ControlClient(path: home.controlSocket).versions()
        guard let running = versions.first(where: \.current) else {
            throw CLIFailure("\(home.name) has no version recorded", code: CLIExit.noApp)
        }
        self.current = running.number
        self.running = running
        runningEntry = try await Self.entryFile(of: running, home: home)
    }

    /// A version's entry file under code/vN, its code asked of the supervisor when it is not there yet.
    static func entryFile(of version: VersionSummary, home: AppHome) async throws -> String {
        let path = VersionFiles.entryPath(home: home, version: version.number, entry: version.entry)
        guard !FileManager.default.fileExists(atPath: path) else { return path }
        return try VersionFiles.write(try await code(of: version, home: home).files, home: home, version: version.number, entry: version.entry)
    }

    /// A version's code, as the supervisor's ledger keeps it. A supervisor of control 3.0 has no `code`: the
    /// CLI then reads the ledger of this machine's home, as 3.0 did.
    static func code(of version: VersionSummary, home: AppHome) async throws -> ProgramCode {
        if let code = try await AppRecords.supervisorAnswer(home, { try await $0.code(version: version.number) }) { return code }
        guard let code = try Ledger(readingAt: home.ledgerPath).code(ofVersion: version.number) else {
            throw CLIFailure("\(home.name) has no version \(version.number)", hint: "soma versions lists them")
        }
        return code
    }

    /// `restores`: for a rollback, the earlier version whose code this is.
    /// True when the version was applied; false when it stopped at the plan (a dry run, or not confirmed).
    @discardableResult
    func run(_ code: ProgramCode, restores: Int? = nil) async throws -> Bool {
        let verb = restores == nil ? "swap" : "rollback"
        let client = ControlClient(path: home.controlSocket)
        // Unless it stops at the plan, the worker keeps its dry run's migrated memory for the swap that follows.
        let planned = try await ask(client, code, restores: restores, apply: false, keep: !dryRun)
        let number = planned.version
        print(json ? planned.json : planned.plan.text)
        if planned.plan.isRefused {
            throw CLIFailure("the \(verb) to version \(number) is refused; nothing was changed")
        }
        if dryRun { return false }
        if !yes && isatty(STDIN_FILENO) != 0 {
            Terminal.out("apply this plan to \(home.name)? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("not applied; nothing was changed")
                return false
            }
        } else if !yes && needsYesOffTerminal {
            print("not applied: off a terminal, this plan is applied only with --yes; nothing was changed")
            return false
        }
        if !json { print(restores.map { "rolling \(home.name) back to the code of version \($0) as version \(number)…" } ?? "swapping \(home.name) to version \(number)…") }
        let outcome: (plan: SwapPlan, json: String, version: Int)
        do {
            outcome = try await ask(client, code, restores: restores, apply: true)
        } catch let silent as SupervisorSilent {
            // No plan back: the worker or the supervisor died mid-swap, and the stored state decides which version
            // runs. The supervisor keeps the pending version so that the worker finding the state at it runs it.
            throw CLIFailure("the supervisor did not answer (\(silent.reason)); the \(verb) to version \(number) may or may not have happened",
                             hint: "soma status says which version runs once the app is back: the stored state decides")
        }
        guard !outcome.plan.isRefused else {
            if json { print(outcome.json) } else {
                for refusal in outcome.plan.refusals { print("  refused[\(refusal.code)]: \(refusal.message)") }
            }
            throw CLIFailure("the \(verb) to version \(number) did not happen; \(home.name) runs version \(current)")
        }
        if json {
            print(outcome.json)
        } else {
            let plan = outcome.plan
            let what = restores.map { "rolled %@ back to the code of version \($0) as version %d" } ?? "swapped %@ to version %d"
            print(String(format: what + " in %.1f ms (turns held %.1f ms, %d waited)", home.name, number,
                         plan.totalMilliseconds ?? 0, plan.heldMilliseconds ?? 0, plan.heldTurns ?? 0))
        }
        return true
    }

    func ask(_ client: ControlClient, _ code: ProgramCode, restores: Int?, apply: Bool, keep: Bool = false) async throws
        -> (plan: SwapPlan, json: String, version: Int) {
        let reply: SwapReply
        let order = SwapOrder(code: code, restores: restores, from: current, apply: apply, keep: keep, strictFace: options.strictFace)
        do {
            reply = try await client.swap(order, timeout: .seconds(900))
        } catch let failure as ProtocolFailure {
            if apply && failure.code == "outcome-unknown" { throw SupervisorSilent(reason: failure.message) }
            throw CLIFailure(failure.message, hint: failure.hint)
        } catch {
            guard apply else { throw CLIFailure("the supervisor did not answer: \(error); nothing was changed") }
            throw SupervisorSilent(reason: "\(error)")
        }
        if let diagnostics = reply.diagnostics {
            print(diagnostics)
            throw CLIFailure("the new version does not check against the running one")
        }
        guard let plan = reply.plan, let version = reply.version else { throw CLIFailure("the supervisor answered without a plan") }
        return (plan, try JSONOutput.text(plan), version)
    }
}

/// The supervisor's answer to an applied swap never came (it or the worker died): the outcome is unknown here.
struct SupervisorSilent: Error {
    var reason: String
}
