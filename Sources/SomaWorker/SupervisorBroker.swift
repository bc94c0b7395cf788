import Foundation
import SomaControl
import SomaRuntime

/// The worker's resource broker: asks its supervisor, which owns the ledger and the providers, over the
/// control socket. Blocks until the resource is ready or provisioning failed.
struct SupervisorBroker: ResourceBroker {
    let home: AppHome
    /// soma.toml's `[resources.NAME] provider`; `local` for the others.
    let providers: [String: String]
    /// soma.toml's `[resources.NAME] port`, for server resources.
    let ports: [String: Int]

    func find(_ name: String) throws -> (ResourceRequest, ProvisionedResource)? {
        let socket = LineSocket(path: home.controlSocket, timeoutSeconds: 120)
        defer { socket.close() }
        let reply = try socket.call(ControlRequest("find", ["name": name]), as: ControlReply.self)
        let fields = reply.fields
        guard reply.ok, let kind = fields["kind"], let engine = fields["engine"], let element = fields["element"],
              let version = fields["element_version"].flatMap(Int.init), let options = fields["options"], let endpoint = fields["endpoint"] else {
            return nil
        }
        let request = ResourceRequest(name: name, kind: kind, engine: engine, element: element, elementVersion: version, options: options,
                                      host: fields["host"] ?? "local")
        return (request, ProvisionedResource(name: name, kind: kind, engine: engine, endpoint: endpoint))
    }

    func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        var arguments = [
            "name": request.name, "kind": request.kind, "engine": request.engine, "element": request.element,
            "element_version": String(request.elementVersion), "options": request.options, "host": request.host,
            "provider": providers[request.name] ?? "local",
        ]
        if let port = ports[request.name] { arguments["port"] = String(port) }
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
