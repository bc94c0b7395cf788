import Foundation
import SomaControl
import SomaLedger
import SomaProtocol
import ServiceLifecycle
import Logging
import Synchronization

/// The supervisor's side of the control protocol: on the app's private Unix socket, and on TCP with TLS when
/// soma.toml `[control] listen` says so. Requests go to the worker's supervision or to the resources.
final class ControlService: Service, Sendable {
    let home: AppHome
    let logger: Logger
    let workers: WorkerSupervisor
    let resources: ResourceManager
    /// Opened once the Unix socket accepts connections, or failed to.
    let bound: StartGate<Bool>
    let activity: ControlActivity
    let changes: ChangeFeed
    /// The TCP listener, once it listens: `soma status` shows it.
    let listener = Mutex<ControlListener?>(nil)

    init(home: AppHome, logger: Logger, workers: WorkerSupervisor, resources: ResourceManager, bound: StartGate<Bool>,
         activity: ControlActivity, changes: ChangeFeed) {
        self.home = home
        self.logger = logger
        self.workers = workers
        self.resources = resources
        self.bound = bound
        self.activity = activity
        self.changes = changes
    }

    func run() async {
        let server = SupervisorServer(path: home.controlSocket, protocol: .control, role: .supervisor)
        let local = Task { [home, logger, bound] in
            do {
                try await server.run(ready: { _ in bound.open(true) }, refused: { why in logger.warning("\(why)") }) { request, responder in
                    await self.handle(request, responder)
                }
            } catch {
                logger.error("cannot serve the control socket \(home.controlSocket): \(error)")
            }
            bound.open(false)
        }
        // On TCP as soma.toml beside the version that runs says: known once the version is chosen.
        let remote = Task { await workers.prepared.wait().flatMap { self.serveOnTCP(besides: $0) } }
        try? await gracefulShutdown()
        // The servers are not cancelled: they end with the process. Cancelling one raced with a client
        // connecting at that moment (`soma launch` asking how provisioning went), whose half-accepted
        // connection NIO then dropped unfinished, an assertion that killed the supervisor before it answered.
        // Unlinking the socket stops new connections from reaching it.
        unlink(home.controlSocket)
        withExtendedLifetime(local) {}
        withExtendedLifetime(remote) {}
    }

    func handle(_ request: ControlRequest, _ responder: Responder) async {
        activity.begin()
        defer { activity.end() }
        switch request {
        case .status:
            await responder.reply(await workers.status(control: listener.withLock { $0 }))
        case .watch(let after, let milliseconds):
            let generation = await changes.next(after: after, timeout: .milliseconds(min(max(0, milliseconds), 60_000)))
            let status = await workers.status(control: listener.withLock { $0 })
            await responder.reply(WatchReply(generation: generation, status: status, resources: (try? await resources.records()) ?? []))
        case .workerReady:
            changes.changed()
            await responder.reply(Done("noted"))
        case .send(let call):
            await responder.answer { try await workers.askWorker { try await $0.send(call) } }
        case .setAside(let resource):
            await responder.answer { try await workers.askWorker { try await $0.setAside(resource: resource) } }
        case .quarantined:
            await responder.answer { try await workers.askWorker { try await $0.quarantined() } }
        case .repair(let command):
            await responder.answer { try await workers.repair(command) }
        case .provision(let resource):
            await responder.answer { try await resources.provisionFromWorker(resource, version: await workers.version) }
        case .find(let name):
            await responder.reply(FindReply(await resources.find(name)))
        case .release(let name, let purge):
            await responder.answer { try await resources.release(name, purge: purge, version: await workers.version) }
        case .swap(let command):
            await responder.answer { try await workers.swap(command) }
        case .launch(let order):
            await responder.answer { try await workers.launch(order) }
        case .resources:
            await responder.answer { try await resources.records() }
        case .inspect(let name, let deadLetters):
            await responder.answer { try await resources.inspect(name, deadLetters: deadLetters) }
        case .replay(let name, let ids):
            await responder.answer { try await resources.replay(name, ids: ids) }
        case .logs(let from, let limit):
            let path = home.logPath
            await responder.reply(LogReader.chunk(at: path, from: from, limit: min(max(0, limit), 4 << 20)))
        case .versions:
            await responder.answer { try await workers.versions() }
        case .code(let version):
            await responder.answer { try await workers.code(of: version) }
        case .storedState(let version):
            await responder.reply(await workers.stateIsAt(version))
        case .workerFailed(let reason):
            await responder.reply(await workers.workerFailed(reason))
        case .stop:
            // Answer first: the control socket closes with the supervisor. The caller waits for the lock.
            await responder.reply(Done("stopping"))
            await workers.stop()
        }
    }
}

extension WorkerSupervisor {
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

    /// What `soma versions` shows: the versions the app has run.
    func versions() throws(ProtocolFailure) -> [VersionSummary] {
        do {
            return try ledger.versionSummaries()
        } catch {
            throw ProtocolFailure(error)
        }
    }

    /// A version's code as the ledger keeps it.
    func code(of number: Int) throws(ProtocolFailure) -> ProgramCode {
        let code: ProgramCode?
        do {
            code = try ledger.code(ofVersion: number)
        } catch {
            throw ProtocolFailure(error)
        }
        guard let code else {
            throw ProtocolFailure(code: "no-such-version", "\(home.name) has no version \(number)", hint: "soma versions lists them")
        }
        return code
    }

    func status(control: ControlListener?) async -> StatusReply {
        var reply = StatusReply(app: home.name, state: .starting, version: version, port: port, url: "http://\(options.host):\(port)",
                                supervisorPID: getpid(), supervisorStartedAt: startedAt,
                                supervisorUptime: Int(Date().timeIntervalSince(startedAt)), restarts: restarts)
        reply.failure = failure
        reply.control = control
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

extension WorkerSupervisor {
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
