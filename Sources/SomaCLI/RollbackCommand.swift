import ArgumentParser
import Foundation
import SomaChecker
import SomaControl
import SomaProtocol
import SomaSupervisor

/// `soma rollback [--to N]`: runs an earlier version's code again, as a new version (history only grows), when
/// it can read everything the running version stored — or the running version declares the reverse
/// migrations (`migrate T from n to n-1`) that bring it back. Otherwise refused, naming the type and why.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Return to an earlier version's code, when it can read the data the running version stored.",
        discussion: """
            The earlier code is checked against the running version and its live data like a swap (LANGUAGE.md §10, \
            going back): a type stored at a later version needs the running version's 'migrate T from n to n-1'; \
            fields the later version added as Option or with a default are left behind; a slot, a state or a \
            variant the earlier version lacks refuses the rollback while data is in it. The rollback is recorded \
            as a new version that runs the earlier code. Exit code 1 when refused or failed, 3 when the app is \
            not running.
            """
    )

    @OptionGroup var selection: AppSelection

    @Option(help: "The version to return to (default: the one before the current).")
    var to: Int?

    @OptionGroup var options: SwapOptions

    func validate() throws {
        if let to, to < 1 { throw ValidationError("--to takes a version number (1 or more), not \(to)") }
    }

    func run() async throws {
        let session = try await SwapSession(selection, options: options)
        let (home, current, running, versions) = (session.home, session.current, session.running, session.versions)
        let target: VersionSummary
        if let to {
            guard let found = versions.first(where: { $0.number == to }) else {
                let known = versions.map { String($0.number) }.joined(separator: ", ")
                throw CLIFailure("\(home.name) has no version \(to)", hint: "its versions are \(known); soma versions lists them")
            }
            guard to != current else { throw CLIFailure("\(home.name) runs version \(to) already; nothing to roll back") }
            target = found
        } else {
            guard let previous = versions.last(where: { $0.number < current }) else {
                throw CLIFailure("\(home.name) has no version before \(current) to roll back to")
            }
            target = previous
        }
        if target.hash == running.hash {
            print("\(home.name) already runs the code of version \(target.number) (as version \(current)); nothing to roll back")
            return
        }

        let code = try await SwapSession.code(of: target, home: home)
        let targetEntry = try VersionFiles.write(code.files, home: home, version: target.number, entry: target.entry)
        guard let outcome = SomaCheck.check(path: targetEntry, against: session.runningEntry, direction: .rollback) else {
            throw CLIFailure("cannot read version \(target.number)'s code at \(targetEntry)")
        }
        if outcome.hasErrors {
            print(CheckReport(outcome).text())
            throw CLIFailure("\(home.name) cannot roll back from version \(current) to version \(target.number): \(outcome.errorCount) error\(outcome.errorCount == 1 ? "" : "s"); nothing was changed")
        }
        try await session.run(code, restores: target.number)
    }
}
