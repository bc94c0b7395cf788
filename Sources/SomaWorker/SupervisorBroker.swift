import Foundation
import SomaControl
import SomaRuntime

/// The worker's resource broker: asks its supervisor, which owns the ledger and the providers, over the
/// control socket. Blocks until the resource is ready or provisioning failed.
struct SupervisorBroker: ResourceBroker {
    let home: AppHome

    func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        let arguments = [
            "name": request.name, "kind": request.kind, "engine": request.engine, "element": request.element,
            "element_version": String(request.elementVersion), "options": request.options, "host": request.host,
        ]
        // Provisioning a database server can take a while; a supervisor being replaced is waited for.
        let deadline = Date().addingTimeInterval(120)
        while true {
            let socket = LineSocket(path: home.controlSocket, timeoutSeconds: 120)
            defer { socket.close() }
            let reply: ControlReply
            do {
                reply = try socket.call(ControlRequest("provision", arguments), as: ControlReply.self)
            } catch {
                guard Date() < deadline else {
                    throw TurnError(.resource, "cannot provision \(request.kind) '\(request.name)': the supervisor is not answering (\(error))")
                }
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            guard reply.ok, let endpoint = reply.fields["endpoint"] else {
                throw TurnError(.resource, reply.message ?? "provisioning \(request.kind) '\(request.name)' failed")
            }
            return ProvisionedResource(name: request.name, kind: request.kind, engine: reply.fields["engine"] ?? request.engine, endpoint: endpoint)
        }
    }
}
