import Foundation

/// A question the host asks a process to know whether it is ready, or still well. Asked where the process
/// runs: locally by the supervisor, on another machine by its node agent.
public enum Probe: Codable, Sendable, Equatable {
    /// The Unix socket accepts a connection.
    case accepts(socket: String)
    /// A line written to the socket is answered with a line, beginning with `replyPrefix` when there is one
    /// (a soma queue answers its hello with its own; a queue of another protocol version answers a refusal).
    case line(socket: String, request: String, replyPrefix: String?)
    /// A PostgreSQL session starts as `role`; with `notYetCounts`, a server that answers it cannot take
    /// connections yet (recovering) counts as answering.
    case postgres(socket: String, role: String, notYetCounts: Bool)
}

extension Probe {
    /// Whether a `line` probe's answer counts: there is one, and it begins as the probe says.
    public func countsLine(_ reply: Data?) -> Bool {
        guard let reply else { return false }
        guard case .line(_, _, let prefix?) = self else { return true }
        return reply.starts(with: Data(prefix.utf8))
    }
}
