import Foundation
import ServiceLifecycle
import SomaControl
import SomaFace
import SomaRuntime

/// The worker's control socket, used by the supervisor (health) and by `soma send` (a face call on the same
/// path as HTTP, without a TCP client).
struct WorkerControlService: Service {
    let home: AppHome
    let dispatcher: FaceDispatcher
    let metrics: FaceMetrics
    let serving: ServingFlag
    let version: Int

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
            var fields = ["pid": String(getpid()), "turns": String(counts.served), "failed": String(counts.failed), "version": String(version)]
            if let port = serving.servingPort { fields["port"] = String(port) }
            await replies.send(ControlReply(ok: serving.servingPort != nil, message: serving.servingPort == nil ? "starting" : nil, fields: fields))
        case "send":
            guard let cell = request.arguments["cell"], let signal = request.arguments["signal"] else {
                await replies.send(.failure("send needs a cell and a signal"))
                return
            }
            let response = await dispatcher.call(cell: cell, signal: signal, body: Array((request.arguments["body"] ?? "").utf8))
            await replies.send(ControlReply(ok: response.status == 200,
                                            fields: ["status": String(response.status), "body": String(decoding: response.body, as: UTF8.self)]))
        default:
            await replies.send(.failure("unknown command '\(request.command)'"))
        }
    }
}
