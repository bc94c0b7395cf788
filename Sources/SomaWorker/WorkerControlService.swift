import Foundation
import ServiceLifecycle
import SomaChecker
import SomaControl
import SomaDiagnostics
import SomaFace
import SomaProtocol
import SomaRuntime

/// The worker's control socket, used by the supervisor (health) and by `soma send` (a face call on the same
/// path as HTTP, without a TCP client).
struct WorkerControlService: Service {
    let home: AppHome
    let dispatcher: FaceDispatcher
    let metrics: FaceMetrics
    let serving: ServingFlag
    let openAPI: OpenAPIDocument
    let hold: FaceHold
    let readiness: ReadinessNote
    /// The address the face is bound to (soma.toml [face] host).
    var host = "127.0.0.1"

    func run() async throws {
        let server = WorkerServer(path: home.workerSocket, protocol: .worker, role: .worker)
        // Ends with the graceful shutdown; its cancellation is the normal way out, not an error.
        try? await cancelWhenGracefulShutdown {
            try await server.run(ready: { [readiness] _ in readiness.controlAnswers() }) { request, responder in
                await handle(request, responder)
            }
        }
    }

    func handle(_ request: WorkerRequest, _ responder: Responder) async {
        let engine = dispatcher.engine
        switch request {
        case .health:
            let counts = metrics.counts
            await responder.reply(HealthReply(
                pid: getpid(), version: serving.version, port: serving.servingPort, host: host, held: hold.isHeld,
                turns: counts.served, failed: counts.failed, setAside: engine.setAsideCounts.values.reduce(0, +),
                quarantined: engine.quarantined.count, replicasDeclared: engine.program.cells.values.map(\.model.scale.replicas).max() ?? 1))
        case .send(let call):
            let response = await dispatcher.call(cell: call.cell, signal: call.signal, body: Array(call.body.utf8))
            await responder.reply(FaceCallReply(status: Int(response.status), body: String(decoding: response.body, as: UTF8.self)))
        case .swap(let swap):
            await responder.answer { try await self.swap(swap) }
        case .setAside(let resource):
            do {
                await responder.reply(try engine.setAsideEffects(resource: resource))
            } catch {
                await responder.fail(ProtocolFailure(code: "set-aside-unreadable", "\(error)"))
            }
        case .quarantined:
            // Every stored value is read first: a Map's entries are otherwise found only when turns read them.
            await responder.answer { try await engine.findQuarantined() }
        case .repair(let command):
            await responder.answer { try await repair(command) }
        }
    }
}

extension WorkerControlService {
    /// `swap` from the supervisor: check the new version against the running one, then plan it (keeping the dry
    /// run's migrated memory when a swap follows) or apply it. A plan that is refused is a reply, with its
    /// refusals; new code that does not check is a reply with its diagnostics.
    func swap(_ swap: WorkerSwap) async throws(ProtocolFailure) -> SwapReply {
        guard let outcome = SomaCheck.check(path: swap.entry, against: swap.against, direction: swap.restores == nil ? .forward : .rollback) else {
            throw ProtocolFailure(code: "unreadable", "cannot read the new version at \(swap.entry)")
        }
        guard !outcome.hasErrors, let analysis = outcome.swap else {
            return SwapReply(diagnostics: DiagnosticRenderer(sources: outcome.sources).renderAll(outcome.diagnostics))
        }
        let engine = dispatcher.engine
        // Values a swap left at their old version are rewritten first: a plan counts what is stored.
        await engine.waitForRestamp()
        let request = SwapRequest(program: RuntimeProgram(outcome: Worker.userFacing(outcome, entry: swap.entry)), analysis: analysis,
                                  fromVersion: serving.version, toVersion: swap.version, scratchFolder: home.path, restores: swap.restores,
                                  strictFace: swap.strictFace)
        guard swap.apply else {
            let keep = swap.keep
            // A dry run is long, blocking work: on a thread of its own, not one the face's tasks need.
            return SwapReply(plan: await OwnThread.run { engine.planSwap(request, keepingDryRun: keep) })
        }
        do {
            let plan = try await engine.applySwap(request)
            serving.version = swap.version
            if hold.isHeld {
                // The launch that held the face applied its new code: the app opens on it.
                unlink(home.faceHoldPath)
                hold.open()
            }
            if let document = try? FaceOpenAPI.document(for: request.program, app: home.name, version: String(swap.version)) {
                openAPI.bytes = document
            }
            return SwapReply(plan: plan)
        } catch {
            return SwapReply(plan: error.plan)
        }
    }
}

extension WorkerControlService {
    /// `repair` from the supervisor, run as a turn of the value's cell.
    func repair(_ command: RepairOrder) async throws(ProtocolFailure) -> RepairReply {
        let action: TurnEngine.Repair
        switch command.action {
        case .remove: action = .remove
        case .replace(let json): action = .replace(json: json)
        }
        do {
            return RepairReply(repaired: try await dispatcher.engine.repair(cell: command.cell, slot: command.slot, key: command.key, action))
        } catch {
            throw ProtocolFailure(code: error.code, error.message)
        }
    }
}
