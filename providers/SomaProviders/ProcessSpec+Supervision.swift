import Foundation
import SomaProcesses

extension ProcessSpec {
    /// The command the supervisor starts for this spec.
    public func command(logPath: String) -> ProcessCommand {
        ProcessCommand(executable: executable, arguments: arguments, account: runAs, logPath: logPath)
    }

    /// How the process of the resource `name` is supervised: ready when its socket accepts (or a PostgreSQL
    /// session starts), health-checked as the spec says, adopted when a process with its arguments is found
    /// running, and stopped with its stop signal.
    public func supervision(of name: String) -> SupervisedProcess.Spec {
        var ready: Probe?
        var health: SupervisedProcess.Spec.Health?
        if let socket = readySocket {
            switch healthProtocol ?? .line {
            case .line:
                ready = .accepts(socket: socket)
                health = healthCheck.map { .init(probe: .line(socket: socket, request: $0, replyPrefix: healthReplyPrefix)) }
            case .postgres:
                ready = .postgres(socket: socket, role: healthCheck ?? "postgres", notYetCounts: false)
                // A server that says it is not taking connections yet (recovering) is answering.
                health = healthCheck.map { .init(probe: .postgres(socket: socket, role: $0, notYetCounts: true)) }
            }
        }
        return SupervisedProcess.Spec(
            name: "the process of '\(name)'", ready: ready, readySeconds: readySeconds ?? 10, health: health,
            stopSignal: stopSignal == "INT" ? SIGINT : SIGTERM, stopGrace: 10,
            adoption: .search(arguments: arguments),
            leftovers: descendantsMarker.flatMap { $0.isEmpty ? nil : .init(marker: $0, account: runAs) })
    }
}
