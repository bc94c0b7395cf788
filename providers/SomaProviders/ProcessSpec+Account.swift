import Foundation

extension ProcessSpec {
    /// What to execute for this process: its own command, or, when it must run as another account and soma is
    /// root, the same command through util-linux's `setpriv`, which changes user and groups and then execs it
    /// (the pid stays the server's). Subprocess's own userID/groupID switch calls setuid in a child cloned
    /// without glibc knowing, where setuid can wait forever for threads that only the parent has.
    public var command: (executable: String, arguments: [String]) {
        guard let account = runAs, geteuid() == 0 else { return (executable, arguments) }
        return Self.asAccount(account, executable: executable, arguments: arguments)
    }

    public static func asAccount(_ account: String, executable: String, arguments: [String]) -> (executable: String, arguments: [String]) {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "setpriv"
        return (setpriv, ["--reuid=\(account)", "--regid=\(account)", "--clear-groups", "--", executable] + arguments)
    }
}
