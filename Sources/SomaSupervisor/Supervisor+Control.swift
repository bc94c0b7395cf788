import Foundation
import SomaControl
import SomaProtocol

extension Supervisor {
    /// The supervisor's side of the control protocol.
    func handle(_ request: ControlRequest, _ responder: Responder) async {
        switch request {
        case .status:
            await responder.reply(await status())
        case .send(let call):
            await responder.answer { try await askWorker { try await $0.send(call) } }
        case .setAside(let resource):
            await responder.answer { try await askWorker { try await $0.setAside(resource: resource) } }
        case .quarantined:
            await responder.answer { try await askWorker { try await $0.quarantined() } }
        case .repair(let command):
            await responder.answer { try await repair(command) }
        case .provision(let resource):
            await responder.answer { try await provisionFromWorker(resource) }
        case .find(let name):
            await responder.reply(FindReply(await find(name)))
        case .release(let name, let purge):
            await responder.answer { try await release(name, purge: purge) }
        case .swap(let command):
            await responder.answer { try await swap(command) }
        case .stop:
            // Answer first: the control socket closes with the supervisor. The caller waits for the lock.
            await responder.reply(Done("stopping"))
            await stop()
        }
    }

    /// A request the worker answers, passed on; a worker that cannot be reached is named with the app's phase.
    func askWorker<Reply>(_ call: (WorkerClient) async throws -> Reply) async throws(ProtocolFailure) -> Reply {
        do {
            return try await call(WorkerClient(path: home.workerSocket))
        } catch let failure as ProtocolFailure {
            throw failure
        } catch {
            throw ProtocolFailure(code: "worker-unreachable", "the worker is not reachable (\(state.rawValue)): \(error)")
        }
    }

    func status() async -> StatusReply {
        var reply = StatusReply(app: home.name, state: .starting, version: version, port: port, url: "http://\(options.host):\(port)",
                                supervisorPID: getpid(), supervisorStartedAt: startedAt,
                                supervisorUptime: Int(Date().timeIntervalSince(startedAt)), restarts: restarts)
        reply.failure = failure
        reply.control = controlListener
        if let workerPID {
            reply.workerPID = workerPID
            reply.workerStartedAt = workerStartedAt
            reply.uptime = Int(Date().timeIntervalSince(workerStartedAt))
        }
        let health = workerPID == nil ? nil : try? await WorkerClient(path: home.workerSocket).health()
        switch state {
        case .running: reply.state = health?.serving == true ? .serving : health?.held == true ? .held : .starting
        case .starting: reply.state = .starting
        case .restarting: reply.state = .restarting
        case .failed: reply.state = .failed
        case .stopping: reply.state = .stopping
        }
        if let health {
            reply.turns = health.turns
            reply.failed = health.failed
            reply.setAside = health.setAside
            reply.quarantined = health.quarantined
            // Bound to every address, the face is reached through loopback from here.
            if health.host != "0.0.0.0", health.host != "::" {
                reply.url = "http://\(health.host.contains(":") ? "[\(health.host)]" : health.host):\(port)"
            }
            reply.replicasDeclared = health.replicasDeclared
            reply.nodesRunning = 1
        }
        return reply
    }
}

extension Supervisor {
    /// `soma repair remove|replace`: run by the worker as a turn; the supervisor, the ledger's writer, keeps
    /// the audit record of what was repaired, and how.
    func repair(_ command: RepairOrder) async throws(ProtocolFailure) -> RepairReply {
        let reply = try await askWorker { try await $0.repair(command) }
        let how: String
        switch command.action {
        case .remove: how = "removed \(reply.repaired.subject)"
        case .replace(let json): how = "replaced \(reply.repaired.subject) with \(json)"
        }
        do {
            try ledger.record("repair", how)
        } catch {
            // The repair itself is durable in the state; only its record is missing, and the log has it.
            logger.error("the repair was done but not recorded in the ledger: \(error)")
        }
        return reply
    }
}
