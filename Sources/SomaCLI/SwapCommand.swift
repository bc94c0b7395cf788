import ArgumentParser
import Foundation
import SomaChecker

struct SwapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Replace a running program's code, migrating its data, without stopping it.",
        discussion: """
            Checks the new version against the running one and its live data (LANGUAGE.md §10), dry-runs every \
            migration over a snapshot of the live state, prints the plan, and applies it: new turns wait while \
            memory and handlers switch, then run on the new version. A refused swap changes nothing. \
            Exit code 1 when the swap is refused or fails, 3 when the app is not running.
            """
    )

    @Argument(help: "The new version's root .cell file.", completion: .file(extensions: ["cell"]))
    var file: String

    @OptionGroup var selection: AppSelection

    @OptionGroup var options: SwapOptions

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("cannot read '\(file)': no such file, or it is not readable")
        }
    }

    func run() async throws {
        let session = try await SwapSession(selection, options: options)
        let (home, current) = (session.home, session.current)
        // The new version checks on its own and against the running one before anything is recorded.
        guard let outcome = SomaCheck.check(path: file, against: session.runningEntry) else { throw CLIFailure("cannot read '\(file)'") }
        if outcome.hasErrors {
            print(CheckReport(outcome).text())
            throw CLIFailure("\(file) cannot replace version \(current) of \(home.name): \(outcome.errorCount) error\(outcome.errorCount == 1 ? "" : "s"); nothing was changed")
        }
        let bundle = ProgramBundle(outcome: outcome, entryPath: file)
        if bundle.hash == session.running.hash {
            print("\(home.name) already runs this code (version \(current)); nothing to swap")
            return
        }
        try await session.run(bundle.code)
    }
}
