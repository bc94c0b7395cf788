import Foundation
import SomaControl
import SomaProtocol
import SomaRuntime

/// The worker's resource broker: asks its supervisor, which owns the ledger and the providers, over the
/// control socket. Blocks until the resource is ready or provisioning failed.
struct SupervisorBroker: ResourceBroker {
    let home: AppHome
    /// soma.toml's `[resources.NAME] provider`; `local` for the others.
    let providers: [String: String]
    /// soma.toml's `[resources.NAME] port`, for server resources.
    let ports: [String: Int]

    func socket() -> LineSocket {
        LineSocket(path: home.controlSocket, timeoutSeconds: 120, hello: Hello(.control, peer: .worker), server: .supervisor)
    }

    /// Tells the supervisor what it cannot see for itself as the worker gives up starting: which version the
    /// stored state is at (`storedState`; the supervisor never opens the state), or why it cannot run
    /// (`workerFailed`). Unheard (no supervisor), the next worker says it again, and the log has it.
    /// Builds, on a thread of its own, the Codable metadata of the broker's exchanges (`find` and `provision`)
    /// while the worker checks its program and loads its state: the first use of each type costs milliseconds
    /// that would otherwise fall between the state's load and the first resource (Frame.warmUp).
    static func warmUp() {
        Thread.detachNewThread {
            let request = ResourceRequest(name: "", kind: .queue, engine: .queue, element: "", elementVersion: 1, options: .object([:]), host: "local")
            let resource = ProvisionedResource(name: "", kind: .queue, engine: .queue, endpoint: .unixSocket(path: ""))
            Frame.warmUp(.find(name: ""), reply: FindReply(FoundResource(request: request, resource: resource)), as: .worker)
            Frame.warmUp(.provision(request), reply: resource, as: .worker)
        }
    }

    static func tell(_ home: AppHome, _ news: ControlRequest) {
        let socket = LineSocket(path: home.controlSocket, timeoutSeconds: 10, hello: Hello(.control, peer: .worker), server: .supervisor)
        defer { socket.close() }
        _ = try? socket.request(news, replying: Done.self)
    }

    func find(_ name: String) throws -> FoundResource? {
        let socket = socket()
        defer { socket.close() }
        return try socket.request(ControlRequest.find(name: name), replying: FindReply.self).found
    }

    func provision(_ request: ResourceRequest) throws -> ProvisionedResource {
        var request = request
        request.provider = providers[request.name]
        request.port = ports[request.name]
        // Provisioning a database server can take a while; a supervisor being replaced is waited for.
        let deadline = Date().addingTimeInterval(120)
        while true {
            let socket = socket()
            defer { socket.close() }
            do {
                return try socket.request(ControlRequest.provision(request), replying: ProvisionedResource.self)
            } catch let failure as ProtocolFailure {
                throw TurnError(.resource, failure.message)
            } catch {
                guard Date() < deadline else {
                    throw TurnError(.resource, "cannot provision \(request.kind) '\(request.name)': the supervisor is not answering (\(error))")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}
