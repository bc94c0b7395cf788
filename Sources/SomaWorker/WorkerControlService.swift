import Foundation
import ServiceLifecycle
import SomaControl
import SomaFace
import SomaChecker
import SomaDiagnostics
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
    /// The address the face is bound to (soma.toml [face] host).
    var host = "127.0.0.1"

    func run() async throws {
        let server = ControlServer(path: home.workerSocket)
        // Ends with the graceful shutdown; its cancellation is the normal way out, not an error.
        try? await cancelWhenGracefulShutdown {
            try await server.run { request, replies in
                await handle(request, replies)
            }
        }
    }

    func handle(_ request: ControlRequest, _ replies: ControlReplies) async {
        switch request.command {
        case "health":
            let counts = metrics.counts
            var fields = ["pid": String(getpid()), "turns": String(counts.served), "failed": String(counts.failed), "version": String(serving.version)]
            if let port = serving.servingPort { fields["port"] = String(port) }
            fields["host"] = host
            if hold.isHeld { fields["held"] = "true" }
            fields["set_aside"] = String(dispatcher.engine.setAsideCounts.values.reduce(0, +))
            fields["quarantined"] = String(dispatcher.engine.quarantined.count)
            fields["replicas_declared"] = String(dispatcher.engine.program.cells.values.map(\.model.scale.replicas).max() ?? 1)
            await replies.send(ControlReply(ok: serving.servingPort != nil, message: serving.servingPort == nil ? "starting" : nil, fields: fields))
        case "send":
            guard let cell = request.arguments["cell"], let signal = request.arguments["signal"] else {
                await replies.send(.failure("send needs a cell and a signal"))
                return
            }
            let response = await dispatcher.call(cell: cell, signal: signal, body: Array((request.arguments["body"] ?? "").utf8))
            await replies.send(ControlReply(ok: response.status == 200,
                                            fields: ["status": String(response.status), "body": String(decoding: response.body, as: UTF8.self)]))
        case "swap":
            await replies.send(await swap(request.arguments))
        case "set-aside":
            // The effects a resource refused for good, as a JSON array of SetAsideEffect.
            do {
                let effects = try dispatcher.engine.setAsideEffects(resource: request.arguments["resource"])
                let data = try JSONEncoder().encode(effects)
                await replies.send(ControlReply(fields: ["effects": String(decoding: data, as: UTF8.self)]))
            } catch {
                await replies.send(.failure("\(error)"))
            }
        case "quarantined":
            let data = (try? JSONEncoder().encode(dispatcher.engine.quarantined)) ?? Data("[]".utf8)
            await replies.send(ControlReply(fields: ["values": String(decoding: data, as: UTF8.self)]))
        case "repair":
            await replies.send(await repair(request.arguments))
        default:
            await replies.send(.failure("unknown command '\(request.command)'"))
        }
    }
}

extension WorkerControlService {
    /// `swap` from the supervisor: `entry` (the new version's entry file, materialized), `against` (the running
    /// version's), `version` (the new number), `apply` ("true" to apply, else only the plan; with `keep` "true",
    /// the dry run's migrated memory is kept for the swap that follows), and for a rollback
    /// `restores` (the earlier version whose code `entry` is). The reply carries the plan as JSON in `plan`, or
    /// the check's diagnostics in `diagnostics`.
    func swap(_ arguments: [String: String]) async -> ControlReply {
        guard let entry = arguments["entry"], let against = arguments["against"], let version = arguments["version"].flatMap(Int.init) else {
            return .failure("swap needs entry, against and version")
        }
        let restores = arguments["restores"].flatMap(Int.init)
        guard let outcome = SomaCheck.check(path: entry, against: against, direction: restores == nil ? .forward : .rollback) else {
            return .failure("cannot read the new version at \(entry)")
        }
        guard !outcome.hasErrors, let analysis = outcome.swap else {
            let text = DiagnosticRenderer(sources: outcome.sources).renderAll(outcome.diagnostics)
            return .failure("the new version does not check against the running one", fields: ["diagnostics": text])
        }
        let engine = dispatcher.engine
        // Values a swap left at their old version are rewritten first: a plan counts what is stored.
        await engine.waitForRestamp()
        let request = SwapRequest(program: RuntimeProgram(outcome: Worker.userFacing(outcome, entry: entry)), analysis: analysis, fromVersion: serving.version,
                                  toVersion: version, scratchFolder: home.path, restores: restores, strictFace: arguments["strict_face"] == "true")
        guard arguments["apply"] == "true" else {
            let keep = arguments["keep"] == "true"
            // A dry run is long, blocking work: on a thread of its own, not one the face's tasks need.
            let plan = await ParallelWork.onOwnThread { engine.planSwap(request, keepingDryRun: keep) }
            return ControlReply(ok: !plan.isRefused, message: plan.isRefused ? "refused" : nil, fields: ["plan": Self.encode(plan)])
        }
        do {
            let plan = try await engine.applySwap(request)
            serving.version = version
            if hold.isHeld {
                // The launch that held the face applied its new code: the app opens on it.
                unlink(home.faceHoldPath)
                hold.open()
            }
            if let document = try? FaceOpenAPI.document(for: request.program, app: home.name, version: String(version)) {
                openAPI.bytes = document
            }
            return ControlReply(fields: ["plan": Self.encode(plan)])
        } catch {
            return ControlReply(ok: false, message: "refused", fields: ["plan": Self.encode(error.plan)])
        }
    }

    static func encode(_ plan: SwapPlan) -> String {
        (try? JSONEncoder().encode(plan)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension WorkerControlService {
    /// `repair` from the supervisor: `cell`, `slot`, `key` (as stored, empty for a scalar slot) and either
    /// `remove` "true" or `value` (the replacement's JSON). The reply names what was repaired in `repaired`.
    func repair(_ arguments: [String: String]) async -> ControlReply {
        guard let cell = arguments["cell"], let slot = arguments["slot"] else { return .failure("repair needs a cell and a slot") }
        let action: TurnEngine.Repair
        if let value = arguments["value"] {
            action = .replace(json: value)
        } else if arguments["remove"] == "true" {
            action = .remove
        } else {
            return .failure("repair needs remove or a value")
        }
        do {
            let repaired = try await dispatcher.engine.repair(cell: cell, slot: slot, key: arguments["key"] ?? "", action)
            let data = (try? JSONEncoder().encode(repaired)) ?? Data("{}".utf8)
            return ControlReply(fields: ["repaired": String(decoding: data, as: UTF8.self)])
        } catch {
            return ControlReply(ok: false, message: error.message, fields: ["code": error.code])
        }
    }
}
