import ArgumentParser
import Foundation
import SomaChecker

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Parse, type-check, distribution-check and model-check a program.",
        discussion: """
            Prints every diagnostic as FILE:LINE:COL: error[CODE]: message, then, per cell, what was verified. \
            The [verify] section of the soma.toml beside the program says which state-machine properties to prove.
            Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage error.
            """
    )

    @Argument(help: "The program's root .cell file.", completion: .file(extensions: ["cell"]))
    var file: String

    @Option(help: ArgumentHelp("An older version of the program: migrations are typed against its shapes.", valueName: "OLD.cell"),
            completion: .file(extensions: ["cell"]))
    var against: String?

    @Flag(help: "Print the diagnostics and verified properties as one JSON document.")
    var json = false

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("cannot read '\(file)': no such file, or it is not readable")
        }
        if let against, !FileManager.default.isReadableFile(atPath: against) {
            throw ValidationError("cannot read '\(against)' (given to --against): no such file, or it is not readable")
        }
    }

    func run() throws {
        guard let outcome = SomaCheck.check(path: file, against: against) else {
            throw ValidationError("cannot read '\(file)'")
        }
        let report = CheckReport(outcome)
        print(json ? report.json() : report.text())
        if outcome.hasErrors { throw ExitCode(CLIExit.failed) }
    }
}
