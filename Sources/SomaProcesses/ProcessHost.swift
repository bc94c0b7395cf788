import Foundation

/// Where supervised processes run. `LocalProcessHost` is this machine; a node agent on another host is the
/// same operations over its connection (docs/supervision.md).
public protocol ProcessHost: Sendable {
    /// Starts the command, detached from this process's death (it outlives a supervisor killed with -9, which
    /// the next supervisor then adopts). Throws when it cannot be started at all.
    func spawn(_ command: ProcessCommand) async throws -> pid_t
    /// Waits for the process to end: a child's exit status, or an adopted one's disappearance.
    func waitForExit(_ pid: pid_t) async -> ExitStatus
    func signal(_ pid: pid_t, _ signal: Int32)
    /// The arguments the live process runs with (after its program's name); nil when it is gone.
    func arguments(of pid: pid_t) -> [String]?
    /// A live process whose arguments (after its program's name) are these.
    func find(arguments: [String]) -> pid_t?
    /// Whether the process answers `probe`, within its own short timeout.
    func probe(_ probe: Probe) async -> Bool
    /// Ends the live processes of `account` (this host's own when nil) whose command lines contain `marker`:
    /// waited for up to `grace` seconds, then killed. Answers those it had to kill.
    func endLeftovers(marker: String, account: String?, grace: Double) async -> [pid_t]
}
