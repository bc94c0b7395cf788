import ArgumentParser
import Foundation

/// `soma`: the command line of the Soma host.
public struct SomaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "soma",
        abstract: "Run long-lived programs written in the cell language.",
        discussion: """
            Exit codes: 0 success, 1 the command ran and failed (check errors, refused swap, provisioning failure), \
            2 usage error, 3 no such app or it is not running.
            """,
        version: SomaVersion.current,
        subcommands: [CheckCommand.self, LaunchCommand.self, StatusCommand.self, SendCommand.self, LogsCommand.self,
                      StopCommand.self, SwapCommand.self, VersionsCommand.self, RollbackCommand.self, ResourcesCommand.self, RepairCommand.self, AppsCommand.self, SuperviseCommand.self, WorkerCommand.self,
                      QueueServeCommand.self]
    )

    public init() {}

    /// Runs the command line with the exit codes of CLI.md: usage errors exit 2, not ArgumentParser's 64.
    public static func run(arguments: [String]? = nil) async -> Int32 {
        Terminal.ignoreBrokenPipes()
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as CLIFailure {
            Terminal.err(failure.description + "\n")
            return failure.code
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            if !message.isEmpty { Terminal.err(message + "\n") }
            if code == .validationFailure { return CLIExit.usage }
            return code.rawValue
        }
    }
}

/// Exit codes shared by every command (CLI.md).
public enum CLIExit {
    public static let success: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let noApp: Int32 = 3
}

public enum SomaVersion {
    public static let current = "0.1.0"
}
