import ArgumentParser
import Foundation
import SomaChecker
import SomaControl
import SomaLedger
import SomaRuntime

struct SwapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Replace a running program's code, migrating its data, without stopping it.",
        discussion: """
            Checks the new version against the running one and its live data (LANGUAGE.md §10), dry-runs every \
            migration over a copy of the state, prints the plan, and applies it: new turns wait while the data is \
            migrated and the handlers switched, then run on the new version. A refused swap changes nothing. \
            Exit code 1 when the swap is refused or fails, 3 when the app is not running.
            """
    )

    @Argument(help: "The new version's root .cell file.", completion: .file(extensions: ["cell"]))
    var file: String

    @OptionGroup var selection: AppSelection

    @Flag(help: "Print the plan and stop; nothing changes.")
    var dryRun = false

    @Flag(help: "Apply without asking, also on a terminal.")
    var yes = false

    @Flag(help: "Print the plan (and the outcome) as JSON.")
    var json = false

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("cannot read '\(file)': no such file, or it is not readable")
        }
    }

    func run() async throws {
        let home = try selection.resolve()
        try home.requireRunning()
        let ledger = try Ledger(path: home.ledgerPath)
        guard let current = try ledger.app()?.currentVersion, let running = try ledger.version(current) else {
            throw CLIFailure("\(home.name) has no version recorded", code: CLIExit.noApp)
        }
        let runningEntry = try materializeForCheck(ledger: ledger, version: running, home: home)

        // The new version checks on its own and against the running one before anything is recorded.
        guard let outcome = SomaCheck.check(path: file, against: runningEntry) else { throw CLIFailure("cannot read '\(file)'") }
        if outcome.hasErrors {
            print(CheckReport(outcome).text())
            throw CLIFailure("\(file) cannot replace version \(current) of \(home.name): \(outcome.errorCount) error\(outcome.errorCount == 1 ? "" : "s"); nothing was changed")
        }
        let bundle = ProgramBundle(outcome: outcome, entryPath: file)
        if bundle.hash == running.hash {
            print("\(home.name) already runs this code (version \(current)); nothing to swap")
            return
        }

        if let holder = try ledger.acquireLock("mutate", pid: getpid(), purpose: "swap") {
            throw CLIFailure("\(home.name) is busy: \(holder) holds its lock; nothing was changed", hint: "wait for it to finish, then swap again")
        }
        defer { try? ledger.releaseLock("mutate", pid: getpid()) }
        let number = try ledger.addPendingVersion(entry: bundle.entry, files: bundle.files, hash: bundle.hash)
        var applied = false
        defer { if !applied { try? ledger.discardPendingVersion(number) } }

        let client = ControlClient(path: home.controlSocket)
        let planned = try await ask(client, version: number, apply: false)
        print(json ? planned.json : planned.plan.text)
        if planned.plan.isRefused {
            throw CLIFailure("the swap to version \(number) is refused; nothing was changed")
        }
        if dryRun { return }
        if !yes && isatty(STDIN_FILENO) != 0 {
            FileHandle.standardOutput.write(Data("apply this plan to \(home.name)? [y/N] ".utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("not applied; nothing was changed")
                return
            }
        }
        if !json { print("swapping \(home.name) to version \(number)…") }
        let outcome2 = try await ask(client, version: number, apply: true)
        guard !outcome2.plan.isRefused else {
            if json { print(outcome2.json) } else {
                for refusal in outcome2.plan.refusals { print("  refused[\(refusal.code)]: \(refusal.message)") }
            }
            throw CLIFailure("the swap to version \(number) did not happen; \(home.name) runs version \(current)")
        }
        applied = true
        if json {
            print(outcome2.json)
        } else {
            let plan = outcome2.plan
            print(String(format: "swapped %@ to version %d in %.1f ms (turns held %.1f ms, %d waited)", home.name, number,
                         plan.totalMilliseconds ?? 0, plan.heldMilliseconds ?? 0, plan.heldTurns ?? 0))
        }
    }

    /// The running version's files, for checking against (the supervisor keeps them under code/vN).
    func materializeForCheck(ledger: Ledger, version: VersionRecord, home: AppHome) throws -> String {
        let folder = home.codeFolder(version: version.number)
        let entry = (folder as NSString).appendingPathComponent(version.entry)
        if FileManager.default.fileExists(atPath: entry) { return entry }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("soma-swap-\(getpid())-v\(version.number)").path
        for file in try ledger.versionFiles(version.number) {
            let path = (scratch as NSString).appendingPathComponent(file.path)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.content).write(to: URL(fileURLWithPath: path))
        }
        return (scratch as NSString).appendingPathComponent(version.entry)
    }

    func ask(_ client: ControlClient, version: Int, apply: Bool) async throws -> (plan: SwapPlan, json: String) {
        let reply: ControlReply
        do {
            reply = try await client.call(ControlRequest("swap", ["version": String(version), "apply": apply ? "true" : "false"]), timeout: .seconds(900))
        } catch {
            throw CLIFailure("the supervisor did not answer the swap: \(error)", hint: "soma status and soma versions say which version runs")
        }
        if let diagnostics = reply.fields["diagnostics"] { print(diagnostics) }
        guard let text = reply.fields["plan"], let plan = try? JSONDecoder().decode(SwapPlan.self, from: Data(text.utf8)) else {
            throw CLIFailure(reply.message ?? "the swap failed without a plan")
        }
        return (plan, text)
    }
}
