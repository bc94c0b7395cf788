import Foundation
import SomaControl
import SomaProtocol

/// A blocking client of one queue process, used from the worker's own threads. One request at a time.
// Unchecked: the socket is used only under `lock`.
public final class QueueClient: @unchecked Sendable {
    public let name: String
    let socket: LineSocket
    private let lock = NSLock()

    public init(name: String, socketPath: String, peer: PeerRole = .worker) {
        self.name = name
        self.socket = LineSocket(path: socketPath, timeoutSeconds: 40, hello: Hello(.queue, peer: peer), server: .queue)
    }

    public func push(_ messages: [QueueMessage]) throws {
        _ = try call(QueueRequest(op: .push, messages: messages))
    }

    public func lease(max: Int, waitMilliseconds: Int) throws -> [QueueMessage] {
        try call(QueueRequest(op: .lease, max: max, waitMilliseconds: waitMilliseconds)).messages ?? []
    }

    public func ack(_ ids: [String]) throws {
        _ = try call(QueueRequest(op: .ack, ids: ids))
    }

    /// Messages handed back untried (a consumer stopping): visible again at once.
    public func nack(_ ids: [String]) throws {
        _ = try call(QueueRequest(op: .nack, ids: ids))
    }

    /// Attempts that failed, with why: kept with each message and shown with its dead letter.
    public func nack(_ failures: [(id: String, error: String)]) throws {
        var request = QueueRequest(op: .nack, ids: failures.map(\.id))
        request.errors = failures.map(\.error)
        _ = try call(request)
    }

    /// Sends dead letters back to be consumed again: these ids, or all when nil. Gives those sent back.
    public func replay(_ ids: [String]?) throws -> [QueueMessage] {
        try call(QueueRequest(op: .replay, ids: ids)).messages ?? []
    }

    public func stats() throws -> QueueStats {
        guard let stats = try call(QueueRequest(op: .stats)).stats else {
            throw ResourceError(code: "queue-reply", "queue '\(name)' answered stats without them")
        }
        return stats
    }

    public func peek(belowVersion version: Int, limit: Int) throws -> [QueueMessage] {
        try call(QueueRequest(op: .peek, max: limit, version: version)).messages ?? []
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try call(QueueRequest(op: .dead, max: limit)).dead ?? []
    }

    public func close() {
        lock.withLock { socket.close() }
    }

    func call(_ request: QueueRequest) throws -> QueueReply {
        let reply: QueueReply
        do {
            reply = try lock.withLock { try socket.call(request, as: QueueReply.self) }
        } catch let failure as ProtocolFailure {
            throw ResourceError(code: failure.code, "queue '\(name)': \(failure)")
        } catch {
            throw ResourceError(code: "queue-unreachable", "queue '\(name)' is not answering at \(socket.path): \(error)")
        }
        guard reply.ok else {
            throw ResourceError(code: "queue-refused", "queue '\(name)': \(reply.error ?? "request refused")")
        }
        return reply
    }
}
