import Foundation
import SomaControl

extension Supervisor {
    /// The supervisor's side of the control protocol: status, send (forwarded to the worker) and stop.
    func handle(_ request: ControlRequest, _ replies: ControlReplies) async {
        switch request.command {
        case "status":
            await replies.send(ControlReply(fields: await statusFields()))
        case "repair":
            await replies.send(await repair(request.arguments))
        case "send", "set-aside", "quarantined":
            do {
                let reply = try await ControlClient(path: home.workerSocket).call(ControlRequest(request.command, request.arguments))
                await replies.send(reply)
            } catch {
                await replies.send(.failure("the worker is not reachable (\(state)): \(error)"))
            }
        case "provision":
            await replies.send(await provisionFromWorker(request.arguments))
        case "find":
            await replies.send(await find(request.arguments["name"] ?? ""))
        case "release":
            await replies.send(await release(request.arguments))
        case "swap":
            await replies.send(await swap(request.arguments))
        case "stop":
            // Answer first: the control socket closes with the supervisor. The caller waits for the lock.
            await replies.send(ControlReply(message: "stopping"))
            await stop()
        default:
            await replies.send(.failure("unknown command '\(request.command)'"))
        }
    }

    func statusFields() async -> [String: String] {
        var fields: [String: String] = [
            "app": home.name, "state": state, "version": String(version), "port": String(port),
            "url": "http://\(options.host):\(port)", "supervisor_pid": String(getpid()), "restarts": String(restarts),
            "supervisor_uptime": String(Int(Date().timeIntervalSince(startedAt))),
        ]
        if let failure { fields["failure"] = failure }
        if let workerPID {
            fields["worker_pid"] = String(workerPID)
            fields["uptime"] = String(Int(Date().timeIntervalSince(workerStartedAt)))
        }
        let health = workerPID == nil ? nil : try? await ControlClient(path: home.workerSocket).call(ControlRequest("health"))
        if state == "running" {
            fields["state"] = health?.ok == true ? "serving" : health?.fields["held"] == "true" ? "held" : "starting"
        }
        if let health {
            fields["turns"] = health.fields["turns"]
            fields["failed"] = health.fields["failed"]
            fields["set_aside"] = health.fields["set_aside"]
            fields["quarantined"] = health.fields["quarantined"]
            // Bound to every address, the face is reached through loopback from here.
            if let host = health.fields["host"], host != "0.0.0.0", host != "::" {
                fields["url"] = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            }
            fields["replicas_declared"] = health.fields["replicas_declared"]
            fields["nodes_running"] = "1"
        }
        return fields
    }
}

extension Supervisor {
    /// `soma repair remove|replace`: run by the worker as a turn; the supervisor, the ledger's writer, keeps
    /// the audit record of what was repaired, and how.
    func repair(_ arguments: [String: String]) async -> ControlReply {
        let reply: ControlReply
        do {
            reply = try await ControlClient(path: home.workerSocket).call(ControlRequest("repair", arguments))
        } catch {
            return .failure("the worker is not reachable (\(state)): \(error)")
        }
        guard reply.ok, let repaired = reply.fields["repaired"] else { return reply }
        let how = arguments["value"] == nil ? "removed" : "replaced"
        do {
            try ledger.record("repair", "\(how) \(repaired)\(arguments["value"].map { " with \($0)" } ?? "")")
        } catch {
            // The repair itself is durable in the state; only its record is missing, and the log has it.
            logger.error("the repair was done but not recorded in the ledger: \(error)")
        }
        return reply
    }
}
