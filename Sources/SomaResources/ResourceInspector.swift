import Foundation
import SomaProtocol

/// Reads what a resource on this machine holds, and replays a local queue's dead letters: for the supervisor,
/// which answers them to the CLI, and for the CLI itself when it talks to a supervisor older than control 3.2.
/// Blocking: a queue that is stopped can take its client's whole timeout to answer (`OwnThread`).
public enum ResourceInspector {
    /// `peer`: who asks, as the queue's log names it.
    public static func inspect(_ record: ResourceRecord, deadLetters: Int, as peer: PeerRole) -> ResourceInspection {
        var inspection = ResourceInspection()
        guard record.state == "ready", let endpoint = record.endpoint else { return inspection }
        switch (record.intent.kind, endpoint) {
        case (.queue, .unixSocket(let path)) where record.pid != nil:
            let client = QueueClient(name: record.name, socketPath: path, peer: peer)
            defer { client.close() }
            inspection.stats = try? client.stats()
            if deadLetters > 0 { inspection.deadLetters = (try? client.deadLetters(limit: deadLetters)) ?? [] }
        case (.database, .file(let path)):
            inspection.sizeBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        default:
            break
        }
        return inspection
    }

    /// The dead letters `ids` (every one when nil) back into the queue; gives those replayed.
    public static func replay(_ record: ResourceRecord, ids: [String]?, as peer: PeerRole) throws(ProtocolFailure) -> [QueueMessage] {
        guard record.intent.kind == .queue else {
            throw ProtocolFailure(code: "not-a-queue", "'\(record.name)' is a \(record.intent.kind), not a queue")
        }
        guard record.state == "ready", record.pid != nil, case .unixSocket(let path)? = record.endpoint else {
            throw ProtocolFailure(code: "not-running", "queue '\(record.name)' is not running (\(record.state))",
                                  hint: "launch the app; its queues start with it")
        }
        let client = QueueClient(name: record.name, socketPath: path, peer: peer)
        defer { client.close() }
        do {
            return try client.replay(ids)
        } catch let failure as ResourceError {
            throw ProtocolFailure(code: failure.code, failure.message)
        } catch {
            throw ProtocolFailure(code: "queue-unreachable", "queue '\(record.name)': \(error)")
        }
    }
}
