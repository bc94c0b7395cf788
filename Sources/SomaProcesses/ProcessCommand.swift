import Foundation

/// What to execute for a supervised process, and where its output goes. The host it runs on decides how:
/// locally it is spawned in a session of its own with stdin from /dev/null and stdout and stderr appended to
/// `logPath`.
public struct ProcessCommand: Codable, Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    /// The account to run it as when the host runs soma as root (PostgreSQL refuses to run as root).
    public var account: String?
    public var logPath: String

    public init(executable: String, arguments: [String], account: String? = nil, logPath: String) {
        self.executable = executable
        self.arguments = arguments
        self.account = account
        self.logPath = logPath
    }

    /// The same command run as `account` through util-linux's `setpriv`, which changes user and groups and
    /// then execs it (the pid stays the command's). Subprocess's own userID/groupID switch calls setuid in a
    /// child cloned without glibc knowing, where setuid can wait forever for threads that only the parent has.
    public static func asAccount(_ account: String, executable: String, arguments: [String]) -> (executable: String, arguments: [String]) {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "setpriv"
        return (setpriv, ["--reuid=\(account)", "--regid=\(account)", "--clear-groups", "--", executable] + arguments)
    }
}
